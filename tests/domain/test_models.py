"""Domain models: JSON round trips, derived totals by hand, and rejection of bad input."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from computefin.domain import (
    Contract,
    Counterparty,
    Fleet,
    FxRate,
    MarketSnapshot,
    PdEntry,
    Portfolio,
    RateQuote,
    ServerGroup,
    Site,
    demo_market,
    demo_portfolio,
)
from computefin.domain.schemas import SCHEMA_MODELS
from computefin.errors import MarketDataError, ValidationError


def _every_model_instance() -> list[Any]:
    portfolio, market = demo_portfolio(), demo_market()
    fleet = portfolio.fleets[0]
    return [
        portfolio,
        market,
        fleet,
        fleet.site,
        fleet.server_groups[0],
        portfolio.counterparties[0],
        portfolio.contracts[0],
        market.rate_quotes[0],
        market.fixings[0],
        market.gpu_prices[0],
        market.resale_observations[0],
        market.fx_rates[0],
        market.pd_table[0],
    ]


@pytest.mark.parametrize("model", _every_model_instance(), ids=lambda m: type(m).__name__)
def test_json_round_trip_is_identity(model: Any) -> None:
    text = model.model_dump_json()
    again = type(model).model_validate_json(text)
    assert again == model
    assert again.model_dump_json() == text


def test_every_schema_model_has_a_round_trip_case() -> None:
    covered = {type(m) for m in _every_model_instance()}
    missing = [
        m.__name__ for m in SCHEMA_MODELS if m not in covered and m.__name__ != "Accelerator"
    ]
    assert missing == []  # Accelerator's round trip is in test_accelerators.py


def test_fleet_totals_by_hand(site_data: dict[str, Any], group_data: dict[str, Any]) -> None:
    h100 = ServerGroup(**group_data)  # 16 servers x 8 GPUs, 10.2 kW, USD 300k
    h200 = ServerGroup(**{**group_data, "accelerator_id": "nvidia-h200-sxm", "servers": 4,
                          "unit_cost": 340_000.0})  # fmt: skip
    fleet = Fleet(id="f", owner_counterparty_id="o",
                  site=Site(**{**site_data, "currency": "USD", "pue": 1.3}),
                  server_groups=[h100, h200])  # fmt: skip
    assert fleet.gpus == 16 * 8 + 4 * 8 == 160
    assert fleet.servers == 20
    assert fleet.power_kw == pytest.approx(20 * 10.2, abs=1e-12)
    assert fleet.facility_power_kw == pytest.approx(20 * 10.2 * 1.3, abs=1e-12)
    assert fleet.capex == 16 * 300_000.0 + 4 * 340_000.0 == 6_160_000.0
    assert fleet.gpus_by_accelerator() == {"nvidia-h100-sxm": 128, "nvidia-h200-sxm": 32}


def test_contract_values_by_hand(contract_data: dict[str, Any]) -> None:
    c = Contract(**contract_data)
    assert c.annual_contract_value == pytest.approx(64 * 8760 * 2.35, abs=1e-9)
    assert c.annual_take_or_pay_value == pytest.approx(64 * 8760 * 2.35 * 0.8, abs=1e-9)
    assert c.term_years == pytest.approx(1096 / 365, abs=1e-15)  # 2028 is a leap year


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("pue", 0.95, "greater than or equal to 1"),
        ("electricity_price_per_kwh", -0.1, "greater than 0"),
        ("electricity_price_per_kwh", math.nan, "finite"),
        ("currency", "XYZ", "Input should be"),
        ("country", "China", "pattern"),
    ],
)
def test_site_rejects(site_data: dict[str, Any], field: str, value: Any, reason: str) -> None:
    with pytest.raises(ValidationError) as info:
        Site(**{**site_data, field: value})
    assert info.value.fields == (f"Site.{field}",)
    assert reason in str(info.value)


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("servers", -3, "greater than 0"),
        ("gpus_per_server", 0, "greater than 0"),
        ("unit_cost", 0.0, "greater than 0"),
        ("accelerator_id", "nvidia-h1000", "accelerator"),
        ("power_kw", 10_200.0, "watts"),
        ("power_kw", 0.5, "implausible"),
    ],
)
def test_server_group_rejects(
    group_data: dict[str, Any], field: str, value: Any, reason: str
) -> None:
    with pytest.raises(ValidationError) as info:
        ServerGroup(**{**group_data, field: value})
    assert info.value.fields[0].startswith("ServerGroup.")
    assert field in info.value.fields[0] or field in str(info.value)
    assert reason in str(info.value)


def test_fleet_rejects_mixed_currencies(
    site_data: dict[str, Any], group_data: dict[str, Any]
) -> None:
    usd = ServerGroup(**group_data)
    cny = ServerGroup(**{**group_data, "currency": "CNY", "unit_cost": 2_100_000.0})
    with pytest.raises(ValidationError) as info:
        Fleet(id="f", owner_counterparty_id="o", site=Site(**site_data), server_groups=[usd, cny])
    assert info.value.fields == ("Fleet.server_groups[1].currency",)


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"take_or_pay_share": 1.2}, "Contract.take_or_pay_share", "less than or equal to 1"),
        ({"take_or_pay_share": -0.1}, "Contract.take_or_pay_share", "greater than or equal"),
        ({"end": dt.date(2025, 12, 31)}, "Contract.end", "after start"),
        ({"end": dt.date(2026, 1, 1)}, "Contract.end", "after start"),
        ({"gpus_committed": -8}, "Contract.gpus_committed", "greater than 0"),
        ({"price_per_gpu_hour": 0.0}, "Contract.price_per_gpu_hour", "greater than 0"),
        ({"currency": "RMB"}, "Contract.currency", "Input should be"),
        ({"billing_frequency": "weekly"}, "Contract.billing_frequency", "Input should be"),
        ({"deposit": -1.0}, "Contract.deposit", "greater than or equal"),
    ],
)
def test_contract_rejects(
    contract_data: dict[str, Any], changes: dict[str, Any], field: str, reason: str
) -> None:
    with pytest.raises(ValidationError) as info:
        Contract(**{**contract_data, **changes})
    assert info.value.fields == (field,)
    assert reason in str(info.value)


def test_rates_given_as_percentages_are_rejected_with_that_reason() -> None:
    with pytest.raises(ValidationError, match="looks like a percentage"):
        RateQuote(index="SHIBOR3M", kind="swap", tenor="5Y", rate=1.85)
    with pytest.raises(ValidationError, match=r"RateQuote\.tenor"):
        RateQuote(index="SHIBOR3M", kind="swap", tenor="five years", rate=0.0185)


def test_counterparty_rating_and_pd() -> None:
    cp = Counterparty(id="x", name="X", rating="BBB-", sector="neocloud", country="US")
    assert demo_market().pd_for(cp) == 0.0026
    with pytest.raises(ValidationError, match="pd_override"):
        Counterparty(id="x", name="X", rating="BBB", sector="other", country="US", pd_override=2.0)
    with pytest.raises(MarketDataError, match="no PD for rating 'BBB' on scale 'cn-domestic'"):
        MarketSnapshot(as_of=dt.date(2026, 1, 1)).pd("BBB", "cn-domestic")


def test_snapshot_rejects_inconsistent_data() -> None:
    as_of = dt.date(2026, 11, 27)
    with pytest.raises(ValidationError, match="PD must not fall"):
        MarketSnapshot(as_of=as_of, pd_table=[PdEntry(rating="BB", pd_1y=0.01),
                                              PdEntry(rating="B", pd_1y=0.005)])  # fmt: skip
    quote = RateQuote(index="SOFR", kind="ois", tenor="1Y", rate=0.035)
    with pytest.raises(ValidationError, match=r"rate_quotes\[1\]: duplicates"):
        MarketSnapshot(as_of=as_of, rate_quotes=[quote, quote])
    with pytest.raises(ValidationError, match=r"fixings\[0\]\.date: is after"):
        MarketSnapshot.model_validate(
            {
                "as_of": "2026-11-27",
                "fixings": [{"index": "LPR1Y", "date": "2026-12-20", "rate": 0.03}],
            }
        )
    with pytest.raises(ValidationError, match="must differ from base"):
        FxRate(base="USD", quote="USD", rate=1.0)


def test_snapshot_lookups_by_hand() -> None:
    snap = MarketSnapshot(
        as_of=dt.date(2026, 11, 27),
        fx_rates=[FxRate(base="USD", quote="CNY", rate=7.10),
                  FxRate(base="EUR", quote="USD", rate=1.08)],
    )  # fmt: skip
    assert snap.fx("USD", "CNY") == 7.10
    assert snap.fx("CNY", "USD") == pytest.approx(1 / 7.10, rel=1e-15)
    assert snap.fx("EUR", "CNY") == pytest.approx(1.08 * 7.10, rel=1e-15)  # crossed via USD
    with pytest.raises(MarketDataError, match="HKD"):
        snap.fx("HKD", "CNY")
    market = demo_market()
    assert market.fixing("LPR1Y", dt.date(2026, 11, 25)) == 0.03
    with pytest.raises(MarketDataError, match="no LPR5Y fixing"):
        market.fixing("LPR5Y", dt.date(2020, 1, 1))


def test_portfolio_rejects_overcommitted_fleet() -> None:
    data = json.loads(demo_portfolio().model_dump_json())
    fleet_gpus = demo_portfolio().fleet("fleet-dal-h100").gpus
    contract = next(c for c in data["contracts"] if c["fleet_id"] == "fleet-dal-h100")
    contract["gpus_committed"] = fleet_gpus + 1
    with pytest.raises(ValidationError, match="more than its 1024"):
        Portfolio.model_validate(data)


def test_portfolio_allows_back_to_back_contracts() -> None:
    data = json.loads(demo_portfolio().model_dump_json())
    first = next(c for c in data["contracts"] if c["fleet_id"] == "fleet-dal-h100")
    follow_on = {**first, "id": "follow-on", "start": first["end"], "end": "2031-03-01",
                 "gpus_committed": 1024}  # fmt: skip
    first["gpus_committed"] = 1024
    data["contracts"].append(follow_on)
    assert len(Portfolio.model_validate(data).contracts_on("fleet-dal-h100")) == 2


def test_models_are_frozen(contract_data: dict[str, Any]) -> None:
    c = Contract(**contract_data)
    with pytest.raises(Exception, match="frozen"):
        c.gpus_committed = 1  # type: ignore[misc]


_bad_floats = st.one_of(
    st.floats(max_value=0.0, allow_nan=False),
    st.just(math.nan),
    st.just(math.inf),
    st.just(-math.inf),
)


@settings(max_examples=150, deadline=None)
@given(
    field=st.sampled_from(["unit_cost", "power_kw"]),
    value=_bad_floats,
)
def test_server_group_bad_floats_rejected_cleanly(field: str, value: float) -> None:
    data = {"accelerator_id": "nvidia-h100-sxm", "servers": 2, "gpus_per_server": 8,
            "unit_cost": 300_000.0, "currency": "USD", "acquired": "2024-01-01",
            "power_kw": 10.2, field: value}  # fmt: skip
    with pytest.raises(ValidationError) as info:
        ServerGroup.model_validate(data)
    assert info.value.fields[0].startswith(f"ServerGroup.{field}")


@settings(max_examples=200, deadline=None)
@given(
    share=st.one_of(
        st.floats(min_value=1.0, exclude_min=True),
        st.floats(max_value=0.0, exclude_max=True),
        st.just(math.nan),
    ),
    gpus=st.integers(max_value=0),
    days=st.integers(min_value=-5000, max_value=0),
)
def test_contract_bad_values_rejected_cleanly(share: float, gpus: int, days: int) -> None:
    base = {"id": "c", "counterparty_id": "a", "fleet_id": "f", "gpus_committed": 8,
            "price_per_gpu_hour": 2.0, "currency": "USD", "start": dt.date(2026, 1, 1),
            "end": dt.date(2027, 1, 1), "take_or_pay_share": 0.5}  # fmt: skip
    for changes, field in (
        ({"take_or_pay_share": share}, "Contract.take_or_pay_share"),
        ({"gpus_committed": gpus}, "Contract.gpus_committed"),
        ({"end": dt.date(2026, 1, 1) + dt.timedelta(days=days)}, "Contract.end"),
    ):
        with pytest.raises(ValidationError) as info:
            Contract(**{**base, **changes})
        assert info.value.fields == (field,)


@settings(max_examples=200, deadline=None)
@given(rate=st.one_of(st.floats(min_value=1.0, exclude_min=True, allow_infinity=True),
                      st.floats(max_value=-1.0), st.just(math.nan)))  # fmt: skip
def test_bad_rates_rejected_cleanly(rate: float) -> None:
    with pytest.raises(ValidationError) as info:
        RateQuote(index="SOFR", kind="ois", tenor="1Y", rate=rate)
    assert info.value.fields == ("RateQuote.rate",)


@settings(max_examples=100, deadline=None)
@given(pue=st.floats(min_value=1.0, max_value=5.0), price=st.floats(min_value=1e-6, max_value=10))
def test_valid_sites_round_trip(pue: float, price: float) -> None:
    site = Site(name="s", region="r", country="CN", pue=pue, electricity_price_per_kwh=price,
                currency="CNY")  # fmt: skip
    assert Site.model_validate_json(site.model_dump_json()) == site
    assert math.isfinite(site.facility_power_kw(1.0))


@settings(max_examples=200, deadline=None)
@given(accelerator_id=st.text(min_size=0, max_size=30))
def test_unknown_accelerator_ids_rejected_cleanly(accelerator_id: str) -> None:
    from computefin.domain import catalog

    data = {"accelerator_id": accelerator_id, "servers": 2, "gpus_per_server": 8,
            "unit_cost": 300_000.0, "currency": "USD", "acquired": "2024-01-01",
            "power_kw": 10.2}  # fmt: skip
    if accelerator_id.strip() in catalog():
        return
    with pytest.raises(ValidationError) as info:
        ServerGroup.model_validate(data)
    assert info.value.fields[0].startswith("ServerGroup.accelerator_id")


@settings(max_examples=200, deadline=None)
@given(code=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FFF), max_size=5))
def test_unknown_currencies_rejected_cleanly(code: str) -> None:
    from computefin.domain import Currency

    if code.strip() in {c.value for c in Currency}:
        return
    with pytest.raises(ValidationError) as info:
        FxRate(base=code, quote="CNY", rate=7.0)
    assert info.value.fields == ("FxRate.base",)


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"start": 0}, "Contract.start", "not a number"),
        ({"end": 1767225600}, "Contract.end", "not a number"),
        ({"price_per_gpu_hour": True}, "Contract.price_per_gpu_hour", "not a boolean"),
        ({"gpus_committed": False}, "Contract.gpus_committed", "not a boolean"),
    ],
)
def test_lax_coercions_a_bank_never_means_are_refused(
    contract_data: dict[str, Any], changes: dict[str, Any], field: str, reason: str
) -> None:
    with pytest.raises(ValidationError) as info:
        Contract(**{**contract_data, **changes})
    assert info.value.fields == (field,)
    assert reason in str(info.value)


def test_feeds_may_still_send_iso_dates_and_numeric_strings(contract_data: dict[str, Any]) -> None:
    c = Contract(**{**contract_data, "start": "2026-01-01", "gpus_committed": "64"})
    assert c.start == dt.date(2026, 1, 1)
    assert c.gpus_committed == 64


def test_model_copy_with_update_is_validated(contract_data: dict[str, Any]) -> None:
    c = Contract(**contract_data)
    with pytest.raises(ValidationError, match=r"Contract\.take_or_pay_share"):
        c.model_copy(update={"take_or_pay_share": 7.0})
    with pytest.raises(ValidationError, match=r"Contract\.end: must be after start"):
        c.model_copy(update={"end": dt.date(2000, 1, 1)})
    assert c.model_copy(update={"gpus_committed": 16}).gpus_committed == 16
    assert c.model_copy() == c


def test_rate_bounds_are_published_in_the_json_schema() -> None:
    prop = RateQuote.model_json_schema()["properties"]["rate"]
    assert (prop["exclusiveMinimum"], prop["maximum"]) == (-1.0, 1.0)


def test_nested_errors_name_the_field_path_without_class_names() -> None:
    data = json.loads(demo_portfolio().model_dump_json())
    data["fleets"][0]["site"]["pue"] = 0.5
    with pytest.raises(ValidationError) as info:
        Portfolio.model_validate(data)
    assert info.value.fields == ("Portfolio.fleets[0].site.pue",)


def test_an_unknown_accelerator_names_its_field_once() -> None:
    from computefin.domain import ServerGroup

    with pytest.raises(ValidationError) as info:
        ServerGroup(accelerator_id="nvidia-h999", servers=1, gpus_per_server=8, unit_cost=1.0,
                    currency="USD", acquired=dt.date(2025, 1, 1), power_kw=1.0)  # fmt: skip
    assert info.value.fields == ("ServerGroup.accelerator_id",)
    assert "close known ids" in str(info.value)
