"""Bad certificate terms fail at the boundary with errors naming the certificate and field."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from computefin.domain import demo_market, demo_portfolio
from computefin.errors import ValidationError
from computefin.products.certificate import ComputeCertificate, value_certificates


def data(**changes: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": "nx-1",
        "fleet_id": "fleet-nx-h20",
        "currency": "CNY",
        "entitlement": {"kind": "noi_share", "share": 0.1},
        "issue_date": dt.date(2026, 11, 27),
        "maturity": dt.date(2028, 11, 27),
        "frequency": "quarterly",
        "issue_price": 2_000_000.0,
    }
    out.update(changes)
    return out


def error(**changes: Any) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        ComputeCertificate.model_validate(data(**changes))
    return info.value


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"entitlement": {"kind": "noi_share", "share": 1.5}},
         "ComputeCertificate[nx-1].entitlement.share", "less than or equal to 1"),
        ({"entitlement": {"kind": "revenue_share", "share": -0.1}},
         "ComputeCertificate[nx-1].entitlement.share", "greater than or equal to 0"),
        ({"entitlement": {"kind": "gpu_hours", "gpu_hours_per_period": 0.0}},
         "ComputeCertificate[nx-1].entitlement.gpu_hours_per_period", "greater than 0"),
        ({"entitlement": {"kind": "royalty", "share": 0.1}},
         "ComputeCertificate[nx-1].entitlement", "unknown kind; known: noi_share"),
        ({"entitlement": {"kind": "gpu_hours", "gpu_hours_per_period": 10.0,
                          "accelerator_id": "nvidia-h2o"}},
         "ComputeCertificate[nx-1].entitlement.accelerator_id", "nvidia-h2"),
        ({"floor_per_period": 500_000.0, "cap_per_period": 400_000.0},
         "ComputeCertificate[nx-1].floor_per_period", "must not exceed cap_per_period"),
        ({"floor_per_period": -1.0},
         "ComputeCertificate[nx-1].floor_per_period", "greater than or equal to 0"),
        ({"calls": [{"date": dt.date(2029, 2, 27), "price": 1e6}]},
         "ComputeCertificate[nx-1].calls[0].date", "must be before maturity"),
        ({"puts": [{"date": dt.date(2028, 11, 27), "price": 1e6}]},
         "ComputeCertificate[nx-1].puts[0].date", "must be before maturity"),
        ({"calls": [{"date": dt.date(2027, 3, 1), "price": 1e6}]},
         "ComputeCertificate[nx-1].calls[0].date", "must be a payment date"),
        ({"calls": [{"date": dt.date(2027, 2, 27), "price": 1e6},
                    {"date": dt.date(2027, 2, 27), "price": 2e6}]},
         "ComputeCertificate[nx-1].calls[1].date", "duplicates"),
        ({"calls": [{"date": dt.date(2027, 2, 27), "price": -1.0}]},
         "ComputeCertificate[nx-1].calls[0].price", "greater than or equal to 0"),
        ({"maturity": dt.date(2026, 11, 27)},
         "ComputeCertificate[nx-1].maturity", "must be after issue_date"),
        ({"maturity": dt.date(2028, 12, 27)},
         "ComputeCertificate[nx-1].maturity", "whole number of quarterly periods"),
        ({"issue_price": 0.0}, "ComputeCertificate[nx-1].issue_price", "greater than 0"),
        ({"currency": "XYZ"}, "ComputeCertificate[nx-1].currency", "Input should be"),
        ({"frequency": "weekly"}, "ComputeCertificate[nx-1].frequency", "Input should be"),
        ({"senior_claim": "maybe"}, "ComputeCertificate[nx-1].senior_claim", "boolean"),
        ({"colour": "green"}, "ComputeCertificate[nx-1].colour", "Extra inputs"),
    ],
)  # fmt: skip
def test_bad_terms_name_the_field(changes: dict[str, Any], field: str, words: str) -> None:
    err = error(**changes)
    assert field in err.fields, err.fields
    assert words in str(err)


def test_good_terms_round_trip_through_json() -> None:
    cert = ComputeCertificate.model_validate(
        data(entitlement={"kind": "gpu_hours", "gpu_hours_per_period": 1e5},
             floor_per_period=1.0, cap_per_period=1e6, senior_claim=True,
             calls=[{"date": "2027-11-27", "price": 1e6}],
             puts=[{"date": "2028-05-27", "price": 5e5}])
    )  # fmt: skip
    assert ComputeCertificate.model_validate_json(cert.model_dump_json()) == cert
    assert cert.n_periods == 8
    assert cert.payment_dates()[-1] == cert.maturity
    assert ComputeCertificate.model_json_schema()["properties"]["entitlement"]


def test_json_errors_name_the_certificate() -> None:
    bad = ComputeCertificate.model_validate(data()).model_dump_json().replace("0.1", "1.1")
    with pytest.raises(ValidationError) as info:
        ComputeCertificate.model_validate_json(bad)
    assert "ComputeCertificate[nx-1].entitlement.share" in info.value.fields


def test_valuation_refuses_what_the_portfolio_cannot_resolve() -> None:
    portfolio, market = demo_portfolio(), demo_market()
    cases = [
        (data(fleet_id="no-such-fleet"), "ComputeCertificate[nx-1].fleet_id", "not in the"),
        (data(issue_date=dt.date(2025, 11, 27), maturity=dt.date(2026, 11, 27)),
         "ComputeCertificate[nx-1].maturity", "on or before the valuation date"),
        (data(fleet_id="fleet-gz-910b",
              entitlement={"kind": "gpu_hours", "gpu_hours_per_period": 1e4}),
         "ComputeCertificate[nx-1].entitlement.accelerator_id", "several accelerators"),
        (data(entitlement={"kind": "gpu_hours", "gpu_hours_per_period": 1e4,
                           "accelerator_id": "nvidia-h100-sxm"}),
         "ComputeCertificate[nx-1].entitlement.accelerator_id", "not an accelerator"),
    ]  # fmt: skip
    for terms, field, words in cases:
        cert = ComputeCertificate.model_validate(terms)
        with pytest.raises(ValidationError) as info:
            value_certificates([cert], portfolio, market, sensitivities=False)
        assert field in info.value.fields
        assert words in str(info.value)
    cert = ComputeCertificate.model_validate(data())
    for kwargs, field in (({"scenarios": 0}, "scenarios"),
                          ({"credit_spread": 2.5}, "credit_spread[nx-1]"),
                          ({"prices": {"nx-1": -5.0}}, "prices[nx-1]")):  # fmt: skip
        with pytest.raises(ValidationError) as info:
            value_certificates([cert], portfolio, market, sensitivities=False, **kwargs)
        assert field in info.value.fields
    with pytest.raises(ValidationError, match="duplicates"):
        value_certificates([cert, cert], portfolio, market, sensitivities=False)
