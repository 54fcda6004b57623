"""Render pandas DataFrames as rich tables for the terminal.

>>> import pandas as pd
>>> table = frame_table(pd.DataFrame({"gpus": [1024], "capex": [38_400_000.0]}), title="x")
>>> table.row_count
1
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import pandas as pd
from rich.table import Table

__all__ = ["column_formatter", "frame_table"]


def _plain(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def column_formatter(values: pd.Series) -> Callable[[object], str]:
    """A formatter for one column, chosen from all its values.

    Whole numbers get thousands separators and no decimals; columns with any value of
    100 or more get two decimals (money); smaller fractional values get four significant
    digits (rates, shares, PDs). Missing values print blank; text and dates as they are.

    >>> column_formatter(pd.Series([40.0, 141.0]))(40.0)
    '40'
    >>> column_formatter(pd.Series([0.0125, 0.5]))(0.0125)
    '0.0125'
    >>> column_formatter(pd.Series([1234.5, 2.0]))(1234.5)
    '1,234.50'
    """
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return _plain
    numbers = values.dropna().to_numpy(dtype=np.float64)
    if numbers.size and np.all(numbers == np.round(numbers)):
        pattern = "{:,.0f}"
    elif numbers.size and np.max(np.abs(numbers)) >= 100:
        pattern = "{:,.2f}"
    else:
        pattern = "{:.4g}"

    def fmt(value: object) -> str:
        if value is None or pd.isna(value):  # type: ignore[call-overload]
            return ""
        return pattern.format(value)

    return fmt


def frame_table(frame: pd.DataFrame, title: str) -> Table:
    """A rich Table of a DataFrame, index first; numbers right-aligned and formatted per column."""
    table = Table(title=title, title_justify="left")
    index_name = str(frame.index.name) if frame.index.name is not None else ""
    index_fmt = column_formatter(frame.index.to_series())
    labels = [index_fmt(index) for index in frame.index]
    # Ids are what a reader looks up: never wrap or cut them; let other columns give way.
    widest = max((len(label) for label in labels), default=0)
    table.add_column(index_name, style="bold", no_wrap=True, min_width=widest)
    formatters = []
    for column in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[column])
        table.add_column(str(column), justify="right" if numeric else "left")
        formatters.append(column_formatter(frame[column]))
    for position, label in enumerate(labels):
        cells = [fmt(frame.iloc[position, i]) for i, fmt in enumerate(formatters)]
        table.add_row(label, *cells)
    return table
