"""Render pandas DataFrames as rich tables for the terminal.

>>> import pandas as pd
>>> table = frame_table(pd.DataFrame({"gpus": [1024], "capex": [38_400_000.0]}), title="x")
>>> table.row_count
1
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from rich.table import Table

__all__ = ["format_cell", "frame_table"]


def format_cell(value: object) -> str:
    """Format one cell: thousands separators for numbers, ISO for dates, blank for None.

    >>> format_cell(1234567.891), format_cell(0.0123), format_cell(None)
    ('1,234,567.89', '0.0123', '')
    """
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) >= 100 else f"{value:.4g}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def frame_table(frame: pd.DataFrame, title: str) -> Table:
    """A rich Table of a DataFrame, index first; numbers right-aligned."""
    table = Table(title=title, title_justify="left")
    index_name = str(frame.index.name) if frame.index.name is not None else ""
    table.add_column(index_name, style="bold")
    for column in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[column])
        table.add_column(str(column), justify="right" if numeric else "left")
    for index, row in frame.iterrows():
        table.add_row(format_cell(index), *(format_cell(v) for v in row.tolist()))
    return table
