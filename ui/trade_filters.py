"""Trades page filters (strategy, side, market, date range, page) and their URL query form.

The filter lives in the address bar (``?strategy=spike_hunter&side=No&from=2026-11-20&page=2``) so
a filtered view can be bookmarked or shared; ``TradeFilter.from_query`` tolerates anything a
person might type there. ``apply`` works on the snapshot ``trades`` table (or open positions) and
the CSV export uses exactly its result. Pure: no streamlit, no files.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ui import text

PAGE_SIZE = 50


def _values(query: Mapping[str, Any], name: str) -> tuple[str, ...]:
    raw = query.get(name)
    if raw is None:
        return ()
    items = raw if isinstance(raw, (list, tuple)) else [raw]
    return tuple(dict.fromkeys(part.strip() for item in items for part in str(item).split(",") if part.strip()))


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class TradeFilter:
    strategies: tuple[str, ...] = ()
    sides: tuple[str, ...] = ()  # the outcome held ("Yes", "No", or a named outcome)
    market_id: str = ""
    start: date | None = None  # inclusive, in the viewer's time zone
    end: date | None = None  # inclusive
    page: int = 1

    @classmethod
    def from_query(cls, query: Mapping[str, Any]) -> TradeFilter:
        pages = _values(query, "page")
        try:
            page = max(1, int(pages[0])) if pages else 1
        except ValueError:
            page = 1
        markets = _values(query, "market")
        start, end = _date(next(iter(_values(query, "from")), None)), _date(next(iter(_values(query, "to")), None))
        if start and end and start > end:
            start, end = end, start
        return cls(_values(query, "strategy"), _values(query, "side"), markets[0] if markets else "", start, end, page)

    def to_query(self) -> dict[str, str]:
        """Only what is set, so an unfiltered page has a clean address."""
        out: dict[str, str] = {}
        if self.strategies:
            out["strategy"] = ",".join(self.strategies)
        if self.sides:
            out["side"] = ",".join(self.sides)
        if self.market_id:
            out["market"] = self.market_id
        if self.start:
            out["from"] = self.start.isoformat()
        if self.end:
            out["to"] = self.end.isoformat()
        if self.page > 1:
            out["page"] = str(self.page)
        return out

    @property
    def active(self) -> bool:
        return bool(self.strategies or self.sides or self.market_id or self.start or self.end)


def _day_bounds_ms(start: date | None, end: date | None, tz: str) -> tuple[int | None, int | None]:
    zone = ZoneInfo(tz)
    lo = int(datetime.combine(start, time.min, zone).timestamp() * 1000) if start else None
    hi = int(datetime.combine(end + timedelta(days=1), time.min, zone).timestamp() * 1000) if end else None
    return lo, hi


def apply(rows: pd.DataFrame, f: TradeFilter, tz: str = "UTC", ts_column: str = "closed_ts_ms") -> pd.DataFrame:
    """The rows the filter keeps, newest first by ``ts_column``."""
    if rows.empty:
        return rows
    mask = pd.Series(True, index=rows.index)
    if f.strategies:
        mask &= rows["strategy"].astype(str).isin(f.strategies)
    if f.sides:
        mask &= rows["outcome"].astype(str).str.lower().isin([s.lower() for s in f.sides])
    if f.market_id:
        mask &= rows["market_id"].astype(str) == f.market_id
    lo, hi = _day_bounds_ms(f.start, f.end, tz)
    if lo is not None:
        mask &= rows[ts_column] >= lo
    if hi is not None:
        mask &= rows[ts_column] < hi
    return rows[mask].sort_values(ts_column, ascending=False, kind="stable")


def page_count(rows: int, page_size: int = PAGE_SIZE) -> int:
    return max(1, math.ceil(rows / page_size))


def page_of(rows: pd.DataFrame, page: int, page_size: int = PAGE_SIZE) -> pd.DataFrame:
    """One page (1-based), clamped to the last page."""
    page = min(max(1, page), page_count(len(rows), page_size))
    return rows.iloc[(page - 1) * page_size: page * page_size]


def options(rows: pd.DataFrame, column: str) -> list[str]:
    """Distinct non-empty values of a column, sorted, for a filter's choices."""
    if rows.empty or column not in rows:
        return []
    return sorted({str(v) for v in rows[column].dropna() if str(v)})


def apply_arrow(rows: pa.Table, f: TradeFilter, tz: str = "UTC", ts_column: str = "closed_ts_ms") -> pa.Table:
    """``apply`` for the snapshot table as Arrow: filters without building a Python object per row,
    so 100,000 trades filter in milliseconds. Newest first."""
    if rows.num_rows == 0:
        return rows
    masks = []
    if f.strategies:
        masks.append(pc.is_in(rows["strategy"], value_set=pa.array(list(f.strategies), pa.string())))
    if f.sides:
        masks.append(pc.is_in(pc.utf8_lower(rows["outcome"]), value_set=pa.array([s.lower() for s in f.sides])))
    if f.market_id:
        masks.append(pc.equal(rows["market_id"], f.market_id))
    lo, hi = _day_bounds_ms(f.start, f.end, tz)
    if lo is not None:
        masks.append(pc.greater_equal(rows[ts_column], lo))
    if hi is not None:
        masks.append(pc.less(rows[ts_column], hi))
    if masks:
        keep = masks[0]
        for mask in masks[1:]:
            keep = pc.and_(keep, mask)
        rows = rows.filter(keep)
    return rows.sort_by([(ts_column, "descending")])


def summary(trades: pa.Table) -> str:
    """"12 trades: 8 wins, 1 loss, total +$1.23 after $0.06 fees", summed exactly in Arrow."""
    if trades.num_rows == 0:
        return "No closed trades yet."
    zero = pa.scalar(Decimal(0), trades.schema.field("pnl_usd").type)
    wins = pc.sum(pc.cast(pc.greater(trades["pnl_usd"], zero), pa.int64())).as_py() or 0
    losses = pc.sum(pc.cast(pc.less(trades["pnl_usd"], zero), pa.int64())).as_py() or 0
    total, fees = pc.sum(trades["pnl_usd"]).as_py() or Decimal(0), pc.sum(trades["fees_usd"]).as_py() or Decimal(0)
    return (f"{text.plural(trades.num_rows, 'trade')}: {text.plural(wins, 'win')}, "
            f"{text.plural(losses, 'loss', 'losses')}, total {text.money(total, signed=True)} after {text.money(fees)} fees")
