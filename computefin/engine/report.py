"""Reports of a valuation run: an Excel workbook, PNG charts and a terminal summary.

Money is converted to one reporting currency at the run's market snapshot FX rates
(figures in the results stay in each instrument's currency). The workbook has a
``summary`` sheet (per case and product: instruments, errors, PV, EAD, EL, ECL, RWA), a
``parameters`` sheet (the run's record: snapshot, scenario hash, seed, version, options),
a ``stress`` sheet (each case against the base case), one sheet per product type (every
figure of every instrument, with its rating and accelerator generation) and an
``errors`` sheet when some instruments failed.

>>> import tempfile, pathlib, datetime as dt
>>> from computefin.engine.batch import RunSpec, run_valuation
>>> from computefin.engine.demo_book import load_demo_book
>>> from computefin.engine.store import open_store
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> store = open_store(f"sqlite:///{folder / 'r.db'}", create=True)
>>> _ = load_demo_book(store, loans=4)
>>> run_id = run_valuation(store, RunSpec(as_of=dt.date(2026, 11, 27)))
>>> files = write_report(store, run_id, folder / "out")
>>> files.workbook.suffix, sorted(p.name for p in files.charts)[0]
('.xlsx', 'el_rwa_by_rating.png')
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # reports are files: never open a window

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from rich.table import Table

from computefin.domain import Currency
from computefin.engine.batch import BASE_CASE
from computefin.engine.registry import ATTRIBUTE_COLUMNS, handlers
from computefin.engine.results import AUDIT_COLUMNS, results_from, run_info
from computefin.engine.store import Store
from computefin.engine.store.records import load_snapshot
from computefin.engine.tables import frame_table

__all__ = ["MONEY", "ReportFiles", "ReportFrames", "report_frames", "summary_table", "write_report"]

MONEY = ("pv", "ead", "el", "ecl", "rwa")
"""Money columns converted to the reporting currency."""


@dataclass(frozen=True)
class ReportFrames:
    """The report's tables (money in ``currency``)."""

    currency: str
    summary: pd.DataFrame
    parameters: pd.DataFrame
    stress: pd.DataFrame
    by_type: dict[str, pd.DataFrame]
    errors: pd.DataFrame


@dataclass(frozen=True)
class ReportFiles:
    """What :func:`write_report` wrote."""

    workbook: Path
    charts: tuple[Path, ...]
    frames: ReportFrames


def _converted(frame: pd.DataFrame, rates: dict[str, float], currency: str) -> pd.DataFrame:
    out = frame.copy()
    rate = out["currency"].map(rates).astype(float)
    for col in MONEY:
        if col in out:
            out[f"{col}_{currency.lower()}"] = pd.to_numeric(out[col], errors="coerce") * rate
    return out


def report_frames(store: Store, run_id: str, currency: str = "CNY") -> ReportFrames:
    """The report's tables for run ``run_id``, money in ``currency``."""
    ccy = Currency(currency).value
    info = run_info(run_id, store)
    frame = results_from(store, run_id)
    order = [BASE_CASE, *json.loads(info["stresses"])]
    frame = frame.sort_values(
        "case", key=lambda c: c.map({name: i for i, name in enumerate(order)}), kind="stable"
    )
    with store.session() as session:
        _, market = load_snapshot(session, info["snapshot_id"])
        attributes = pd.concat(
            [h.attributes(session).assign(instrument_type=t) for t, h in handlers().items()],
            ignore_index=True,
        )
    rates = {c: market.fx(c, ccy) for c in frame.get("currency", pd.Series()).dropna().unique()}
    frame = frame.merge(attributes, on=["instrument_type", "instrument_id"], how="left")
    frame = _converted(frame, rates, ccy)
    money = [f"{c}_{ccy.lower()}" for c in MONEY]
    good = frame[frame["error"].isna()]
    summary = (
        frame.groupby(["case", "instrument_type"], sort=False)
        .agg(instruments=("instrument_id", "size"), errors=("error", "count"))
        .join(good.groupby(["case", "instrument_type"], sort=False)[money].sum())
        .reset_index()
    )
    totals = good.groupby("case", sort=False)[money].sum()
    stress = totals.sub(totals.loc[BASE_CASE]) if BASE_CASE in totals.index else totals * np.nan
    stress = totals.join(stress.add_suffix("_change")).reset_index()
    params = {k: v for k, v in info.items() if k != "parameters"}
    params.update({f"option.{k}": v for k, v in json.loads(info["parameters"]).items()})
    params["reporting_currency"] = ccy
    params.update({f"fx.{c}/{ccy}": r for c, r in rates.items()})
    parameters = pd.DataFrame(
        [
            (k, v if isinstance(v, str | int | float) or v is None else str(v))
            for k, v in params.items()
        ],
        columns=["parameter", "value"],
    )
    keep = {*AUDIT_COLUMNS, *ATTRIBUTE_COLUMNS}
    by_type = {
        str(t): f.drop(columns=[c for c in f.columns if c not in keep and f[c].isna().all()])
        for t, f in frame.groupby("instrument_type")
    }
    errors = frame.loc[
        frame["error"].notna(), ["case", "instrument_type", "instrument_id", "error"]
    ]
    return ReportFrames(ccy, summary, parameters, stress, by_type, errors.reset_index(drop=True))


def _save(fig: Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _charts(store: Store, run_id: str, frames: ReportFrames, out: Path) -> list[Path]:
    ccy = frames.currency
    frame = pd.concat(frames.by_type.values(), ignore_index=True)
    base = frame[(frame["case"] == BASE_CASE) & frame["error"].isna()]
    paths = []

    fig, ax = plt.subplots(figsize=(8, 4.5))
    table = base.pivot_table(
        index="instrument_type", columns="generation", values=f"pv_{ccy.lower()}", aggfunc="sum"
    ).fillna(0.0)
    (table / 1e6).plot.bar(stacked=True, ax=ax, rot=0)
    ax.set_ylabel(f"PV, {ccy} millions")
    ax.set_xlabel("product")
    ax.set_title(f"Portfolio PV by product and accelerator generation ({run_id})")
    paths.append(_save(fig, out / "pv_by_product_generation.png"))

    fig, ax = plt.subplots(figsize=(8, 4.5))
    ltv = pd.to_numeric(base.get("ltv", pd.Series(dtype=float)), errors="coerce").dropna()
    ax.hist(ltv, bins=min(30, max(5, len(ltv) // 5 or 1)), color="tab:blue", edgecolor="white")
    ax.set_xlabel("LTV at the valuation date")
    ax.set_ylabel("instruments")
    ax.set_title("LTV distribution (base case)")
    paths.append(_save(fig, out / "ltv_distribution.png"))

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    by_rating = base.groupby("rating")[[f"el_{ccy.lower()}", f"rwa_{ccy.lower()}"]].sum() / 1e6
    by_rating[f"el_{ccy.lower()}"].plot.bar(ax=axes[0], color="tab:red")
    axes[0].set_ylabel(f"expected loss, {ccy} millions")
    by_rating[f"rwa_{ccy.lower()}"].plot.bar(ax=axes[1], color="tab:purple")
    axes[1].set_ylabel(f"RWA, {ccy} millions")
    for ax in axes:
        ax.set_xlabel("borrower rating")
    fig.suptitle("Expected loss and RWA by rating (base case)")
    paths.append(_save(fig, out / "el_rwa_by_rating.png"))

    fig, ax = plt.subplots(figsize=(8, 4.5))
    stress = frames.stress.set_index("case")
    cols = [f"pv_{ccy.lower()}_change", f"el_{ccy.lower()}_change"]
    (stress[cols] / 1e6).plot.bar(ax=ax, rot=15)
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.set_ylabel(f"change against base, {ccy} millions")
    ax.set_title("Stress results: PV and expected loss against the base case")
    paths.append(_save(fig, out / "stress_results.png"))
    return paths


def write_report(store: Store, run_id: str, out: str | Path, currency: str = "CNY") -> ReportFiles:
    """Write ``<run_id>.xlsx`` and the PNG charts into folder ``out``."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    frames = report_frames(store, run_id, currency)
    workbook = folder / f"{run_id}.xlsx"
    with pd.ExcelWriter(workbook, engine="openpyxl") as writer:
        frames.summary.to_excel(writer, sheet_name="summary", index=False)
        frames.parameters.to_excel(writer, sheet_name="parameters", index=False)
        frames.stress.to_excel(writer, sheet_name="stress", index=False)
        for kind, frame in frames.by_type.items():
            frame.to_excel(writer, sheet_name=kind[:31], index=False)
        if not frames.errors.empty:
            frames.errors.to_excel(writer, sheet_name="errors", index=False)
    charts = tuple(_charts(store, run_id, frames, folder))
    return ReportFiles(workbook=workbook, charts=charts, frames=frames)


def summary_table(frames: ReportFrames, title: str = "Valuation run") -> Table:
    """The summary sheet as a rich table for the terminal."""
    shown = frames.summary.copy()
    money = [c for c in shown.columns if c.endswith(f"_{frames.currency.lower()}")]
    shown[money] = shown[money] / 1e6
    shown = shown.rename(columns={c: f"{c.split('_')[0]} ({frames.currency} m)" for c in money})
    return frame_table(shown, title=title)
