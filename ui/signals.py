"""Signals page transforms: every signal with its detector layers and what the bot did, the refused
trades, and anomalies across the watched markets (spikes not traded, volume surges, data faults).

Inputs are the snapshot ``signals``, ``risk_decisions``, ``bars_1m`` and ``markets`` frames and
state.json; outputs are display frames. Pure: no streamlit, no files.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ui import text

DECISIONS = {"traded": "✅ traded", "refused": "⛔ refused by a safety check", "layers_disagree": "➖ layers disagreed"}
SIGNAL_COLUMNS = ["Time", "Market", "Strategy", "Direction", "Price", "Move", "Decision", "Layers", "Why"]
MAX_ROWS = 500  # rows drawn; the counts and the CSV cover everything filtered


def decision_label(decision: Any) -> str:
    return DECISIONS.get(str(decision), str(decision).replace("_", " "))


def layers_text(layers_json: Any) -> str:
    """"cusum 0.041 ≥ 0.030 ✓ · ewma_band 0.380 vs 0.367 ✗ ..." from the stored JSON list."""
    try:
        layers = json.loads(layers_json) if isinstance(layers_json, str) else (layers_json or [])
    except ValueError:
        return text.MISSING
    parts = []
    for layer in layers if isinstance(layers, list) else []:
        value, threshold = text.to_float(layer.get("value")), text.to_float(layer.get("threshold"))
        shown = f"{value:.3f}" if value is not None else text.MISSING
        if threshold is not None:
            shown += f" vs {threshold:.3f}"
        parts.append(f"{layer.get('name', '?')} {shown} {'✓' if layer.get('passed') else '✗'}")
    return " · ".join(parts)


def filter_signals(signals: pd.DataFrame, strategies: Sequence[str] = (), decisions: Sequence[str] = (),
                   search: str = "", questions: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Signals kept by the filters, newest first."""
    if signals.empty:
        return signals
    mask = pd.Series(True, index=signals.index)
    if strategies:
        mask &= signals["strategy"].astype(str).isin(strategies)
    if decisions:
        mask &= signals["decision"].astype(str).isin(decisions)
    if search.strip():
        needle = search.strip().lower()
        names = signals["market_id"].astype(str).map(lambda m: (questions or {}).get(m, m)).str.lower()
        mask &= names.str.contains(needle, regex=False) | signals["market_id"].astype(str).str.lower().str.contains(
            needle, regex=False)
    return signals[mask].sort_values("ts_ms", ascending=False, kind="stable")


def signals_frame(signals: pd.DataFrame, questions: Mapping[str, str], tz: str = "UTC") -> pd.DataFrame:
    """Display rows for the newest ``MAX_ROWS`` of already-filtered signals."""
    rows = signals.head(MAX_ROWS)
    return pd.DataFrame([{
        "Time": text.date_time(s["ts_ms"], tz),
        "Market": questions.get(str(s["market_id"])) or str(s["market_id"]),
        "Strategy": s["strategy"],
        "Direction": "▲ up" if s["direction"] == "up" else "▼ down" if s["direction"] == "down" else str(s["direction"]),
        "Price": text.cents(round(s["price"], 4) if s["price"] == s["price"] else None),
        "Move": text.move_cents(round(s["move"], 4) if s["move"] == s["move"] else None),
        "Decision": decision_label(s["decision"]),
        "Layers": layers_text(s["layers_json"]),
        "Why": s["reason"] or "",
    } for s in rows.to_dict("records")], columns=SIGNAL_COLUMNS)


def refusals_frame(refusals: pd.DataFrame, questions: Mapping[str, str], tz: str = "UTC") -> pd.DataFrame:
    """Trades the risk manager refused, newest first, with its reason."""
    columns = ["Time", "Market", "Strategy", "Would have", "Rule", "Why"]
    if refusals.empty:
        return pd.DataFrame(columns=columns)
    rows = refusals.sort_values("ts_ms", ascending=False, kind="stable").head(MAX_ROWS)
    return pd.DataFrame([{
        "Time": text.date_time(r["ts_ms"], tz),
        "Market": questions.get(str(r["market_id"])) or str(r["market_id"]),
        "Strategy": r["strategy"],
        "Would have": f"{str(r['side']).lower()} {text.shares(r['shares'])} at up to {text.cents(r['limit_price'])}",
        "Rule": str(r["code"]).replace("_", " "),
        "Why": r["text"] or "",
    } for r in rows.to_dict("records")], columns=columns)


def untraded_spikes(signals: pd.DataFrame, questions: Mapping[str, str]) -> pd.DataFrame:
    """Per market: spikes the bot saw but did not trade, how many, and the latest reason."""
    columns = ["Market", "Spikes not traded", "Latest reason"]
    if signals.empty:
        return pd.DataFrame(columns=columns)
    missed = signals[signals["decision"].astype(str) != "traded"].sort_values("ts_ms", kind="stable")
    if missed.empty:
        return pd.DataFrame(columns=columns)
    grouped = missed.groupby("market_id", sort=False).agg(n=("ts_ms", "size"), reason=("reason", "last"))
    grouped = grouped.sort_values("n", ascending=False).head(MAX_ROWS)
    return pd.DataFrame({"Market": [questions.get(str(m)) or str(m) for m in grouped.index],
                         "Spikes not traded": grouped["n"].to_numpy(), "Latest reason": grouped["reason"].to_numpy()},
                        columns=columns)


def volume_surges(bars: pd.DataFrame, token_names: Mapping[str, str], recent_minutes: int = 5,
                  ratio: float = 3.0, min_ticks: int = 10) -> pd.DataFrame:
    """Tokens whose book changed far more often in the last few minutes than their usual pace
    (ticks per minute vs their 24 h median): a burst of activity often comes before a move."""
    columns = ["Market", "Updates / min now", "Usual / min", "Times usual"]
    if bars.empty:
        return pd.DataFrame(columns=columns)
    latest = int(bars["minute_ts_ms"].max())
    cutoff = latest - (recent_minutes - 1) * 60_000
    recent = bars[bars["minute_ts_ms"] >= cutoff].groupby("token_id")["ticks"].mean()
    usual = bars[bars["minute_ts_ms"] < cutoff].groupby("token_id")["ticks"].median()
    both = pd.DataFrame({"now": recent, "usual": usual}).dropna()
    both = both[(both["now"] >= min_ticks) & (both["usual"] > 0)]
    both["times"] = both["now"] / both["usual"]
    both = both[both["times"] >= ratio].sort_values("times", ascending=False).head(MAX_ROWS)
    return pd.DataFrame({
        "Market": [token_names.get(str(t)) or str(t) for t in both.index],
        "Updates / min now": np.round(both["now"].to_numpy(), 1), "Usual / min": np.round(both["usual"].to_numpy(), 1),
        "Times usual": [f"{x:.1f}×" for x in both["times"]],
    }, columns=columns)


def data_faults(state: Mapping[str, Any] | None) -> list[str]:
    """Plain-English data-quality problems from state.json: dropped updates, a quiet feed, a bad config."""
    if not state:
        return []
    out = []
    for reason, count in ((state.get("counters") or {}).get("dropped") or {}).items():
        if count:
            out.append(f"{text.plural(int(count), 'update')} dropped as {str(reason).replace('_', ' ')}")
    feed = state.get("feed") or {}
    age = text.to_float(feed.get("last_event_age_s"))
    if feed.get("status") not in (None, "ok", "stopped"):
        out.append(f"Feed status: {feed.get('status')}")
    if age is not None and age > 30 and state.get("status") != "stopped":
        out.append(f"No market data for {text.duration(age)}")
    if state.get("config_error"):
        out.append("The last config change was refused; the old settings stay in force")
    return out
