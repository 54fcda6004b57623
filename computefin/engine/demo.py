"""The main job on the embedded default: the shipped demo portfolio and market snapshot.

At this stage the job shows the accelerator catalog, the demo fleets (GPUs, power, capex),
their contracts with the counterparties' PDs, and the discount curves built from the
snapshot. Later issues grow it into the batch valuation over a SQLite store.

>>> result = demo_frames()
>>> int(result.fleets["gpus"].sum()) == sum(f.gpus for f in demo_portfolio().fleets)
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from rich.console import Console

from computefin.domain import MarketSnapshot, Portfolio, catalog, demo_market, demo_portfolio
from computefin.engine.tables import frame_table
from computefin.pricing import build_curves
from computefin.risk import ProjectionInputs, project, run_stress_grid, stress_library
from computefin.risk.projection import stress_metrics

__all__ = ["DemoFrames", "demo_frames", "run_demo"]

CURVE_TENORS_YEARS = (1, 2, 3, 5, 7, 10)
"""Tenors (years) at which the demo prints each curve."""

PROJECTION_MONTHS = 60
"""Horizon of the demo's fleet projections, months."""

STRESS_FLEET = "fleet-dal-h100"
"""The fleet whose stress grid the demo prints."""


@dataclass(frozen=True)
class DemoFrames:
    """What the demo shows, as DataFrames."""

    catalog: pd.DataFrame
    fleets: pd.DataFrame
    contracts: pd.DataFrame
    curves: pd.DataFrame
    projections: pd.DataFrame
    stresses: pd.DataFrame


def _contracts_frame(portfolio: Portfolio, market: MarketSnapshot) -> pd.DataFrame:
    rows = []
    for c in portfolio.contracts:
        party = portfolio.counterparty(c.counterparty_id)
        rows.append(
            {
                "contract_id": c.id,
                "fleet_id": c.fleet_id,
                "counterparty": party.name,
                "rating": f"{party.rating} ({party.rating_scale.value})",
                "pd_1y": market.pd_for(party),
                "gpus": c.gpus_committed,
                "price_per_gpu_hour": c.price_per_gpu_hour,
                "currency": c.currency.value,
                "start": c.start,
                "end": c.end,
                "take_or_pay_share": c.take_or_pay_share,
                "annual_contract_value": c.annual_contract_value,
            }
        )
    return pd.DataFrame(rows).set_index("contract_id")


def _curves_frame(market: MarketSnapshot) -> pd.DataFrame:
    curves = build_curves(market)
    as_of = np.datetime64(market.as_of, "D")
    dates = np.array(
        [as_of + np.timedelta64(round(365.25 * y), "D") for y in CURVE_TENORS_YEARS],
        dtype="datetime64[D]",
    )
    names = sorted(curves)
    zero = np.vstack([curves[name].zero_rate(dates) for name in names])
    frame = pd.DataFrame(zero, index=pd.Index(names, name="curve"), columns=CURVE_TENORS_YEARS)
    frame.columns.name = "tenor_years"
    return frame


def _inputs(portfolio: Portfolio, market: MarketSnapshot, fleet_id: str) -> ProjectionInputs:
    return ProjectionInputs.build(
        portfolio.fleet(fleet_id),
        portfolio.contracts,
        market,
        PROJECTION_MONTHS,
        counterparties=portfolio.counterparties,
    )


def _projections_frame(portfolio: Portfolio, market: MarketSnapshot) -> pd.DataFrame:
    rows = []
    for fleet in portfolio.fleets:
        projection = project(_inputs(portfolio, market, fleet.id))
        metrics = stress_metrics(projection)
        rows.append(
            {
                "fleet_id": fleet.id,
                "currency": fleet.currency.value,
                "pv_noi_5y": metrics["pv_noi"],
                "economic_value": float(projection.expected("economic_value")[0]),
                "book_value": float(projection.expected("book_value")[0]),
                "book_minus_economic": float(projection.expected("book_minus_economic")[0]),
                "retirement_proceeds": metrics["retirement_proceeds"],
            }
        )
    return pd.DataFrame(rows).set_index("fleet_id")


def demo_frames() -> DemoFrames:
    """Compute everything the demo shows, without printing."""
    portfolio, market = demo_portfolio(), demo_market()
    cat = catalog().to_frame()[
        ["vendor", "model", "launch_date", "memory_gb", "tdp_w", "dense_bf16_tflops",
         "list_price", "list_price_currency", "successor"]
    ]  # fmt: skip
    return DemoFrames(
        catalog=cat,
        fleets=portfolio.fleets_frame(market.as_of),
        contracts=_contracts_frame(portfolio, market),
        curves=_curves_frame(market),
        projections=_projections_frame(portfolio, market),
        stresses=run_stress_grid(_inputs(portfolio, market, STRESS_FLEET), stress_library())[0],
    )


def run_demo(console: Console) -> DemoFrames:
    """Compute the demo and print it to ``console``; return the frames."""
    frames = demo_frames()
    market = demo_market()
    console.rule(f"computefin demo: market snapshot {market.as_of.isoformat()}")
    console.print(frame_table(frames.catalog, title="Accelerator catalog (shipped)"))
    fleets = frames.fleets[
        ["region", "country", "accelerators", "servers", "gpus", "it_power_kw",
         "facility_power_kw", "capex", "currency", "contracted_gpus", "annual_contract_value"]
    ]  # fmt: skip
    console.print(frame_table(fleets, title="Demo fleets (power in kW, capex in fleet currency)"))
    totals = frames.fleets.groupby("currency")[["gpus", "it_power_kw", "capex"]].sum()
    console.print(frame_table(totals, title="Fleet totals by currency"))
    console.print(frame_table(frames.contracts, title="Contracts (annual value in currency)"))
    console.print(
        frame_table(frames.curves, title="Zero rates (continuous, ACT/365F) by tenor in years")
    )
    console.print(
        frame_table(
            frames.projections,
            title=f"Expected fleet projections, {PROJECTION_MONTHS} months (values after the "
            "first period, fleet currency)",
        )
    )
    console.print(
        frame_table(frames.stresses, title=f"Stress grid, {STRESS_FLEET} (expected case, USD)")
    )
    return frames
