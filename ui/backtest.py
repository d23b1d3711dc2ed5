"""Backtest page transforms: the start form's checks and command line, a running job's progress, a
stored run's report as plain-English cards, its equity curve and trades, and runs side by side.

Inputs are what ``python -m bot backtest`` stores under ``<data>/backtests/<run id>/`` (report.json,
trades.json, equity.json, see bot/runtime/backtest.py) and the progress file its
``--progress-file`` option writes. Pure: no streamlit, no files, no processes.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from bot.config.schema import ConfigError
from ui import text
from ui.charts import downsample_indices

SIM = "sim"
SIM_CYCLES_DEFAULT = 3600
# Number fields the form offers as inputs; the rest (words, flags, maps) are typed as key=value.
NOT_PARAMS = {"enabled"}
PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563"]
TRADE_COLUMNS = ["", "Opened", "Closed", "Held", "Market", "Shares", "Entry", "Exit", "P&L", "Fees",
                 "Why it bought", "Why it sold"]


# -- the start form -------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class BacktestForm:
    """What the user asked for; ``data`` is ``SIM`` or a recording path."""

    strategy: str
    data: str
    params: dict[str, Any] = field(default_factory=dict)
    cycles: int | None = None
    from_text: str = ""
    to_text: str = ""


def numeric_params(block: Mapping[str, Any]) -> dict[str, int | float]:
    """A strategy block's number settings (offered as inputs), as int or float."""
    out: dict[str, int | float] = {}
    for name, value in block.items():
        if name in NOT_PARAMS or isinstance(value, bool):
            continue
        if isinstance(value, int):
            out[name] = value
        elif isinstance(value, (float, Decimal)):
            out[name] = float(value)
    return out


def changed_params(config_block: Mapping[str, Any], entered: Mapping[str, int | float]) -> dict[str, int | float]:
    """Only the numbers the user moved away from the config's values (so a run records its real overrides)."""
    base = numeric_params(config_block)
    return {k: v for k, v in entered.items() if k in base and float(v) != float(base[k])}


def parse_overrides(line: str) -> dict[str, Any]:
    """``k=v, k2=v2`` -> dict, values read as YAML scalars, as the CLI's --params reads them."""
    from ruamel.yaml import YAML

    out: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in (line or "").split(","))):
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{part!r} must look like name=value, for example direction=follow")
        try:
            out[key.strip()] = YAML(typ="safe").load(value.strip()) if value.strip() else ""
        except Exception:  # ruamel raises several parser error types; all mean the same to the user
            raise ConfigError(f"the value of {key.strip()} ({value.strip()!r}) is not a number, word or true/false") from None
    return out


def check_params(settings: Mapping[str, Any], strategy: str, params: Mapping[str, Any]) -> None:
    """Raise ConfigError (with a did-you-mean) exactly as the backtest will, before starting it.

    ``settings`` is the validated config as plain JSON (``Settings.model_dump(mode="json")``)."""
    from bot.config.loader import validate

    known = list(settings.get("strategies", {}))
    if strategy not in known:
        hint = difflib.get_close_matches(strategy, known, n=1)
        raise ConfigError(f"unknown strategy {strategy!r}" + (f"; did you mean {hint[0]!r}?" if hint else ""))
    data = {**settings, "strategies": {k: dict(v) for k, v in settings["strategies"].items()}}
    data["strategies"][strategy].update(params)
    validate(data, f"this run of {strategy}")


def parse_time(value: str) -> int | None:
    """Epoch ms from "" (none), digits (epoch ms) or an ISO time (UTC unless it says otherwise)."""
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return int(value)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{value!r} is neither epoch milliseconds nor a time such as 2026-06-07T01:40") from None
    return int((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp() * 1000)


def cli_args(form: BacktestForm) -> list[str]:
    """The ``python -m bot backtest`` arguments for ``form`` (without --config/--data-dir/--progress-file).

    Raises ConfigError for from/to that cannot be read or that are in the wrong order."""
    start, end = parse_time(form.from_text), parse_time(form.to_text)
    if start is not None and end is not None and end <= start:
        raise ConfigError("the end time must be after the start time")
    args = ["backtest", "--strategy", form.strategy]
    if form.data == SIM:
        args += ["--sim", "--cycles", str(form.cycles or SIM_CYCLES_DEFAULT)]
    elif form.data.strip():
        args += ["--data", form.data.strip()]
    else:
        raise ConfigError("choose the simulator or a recording (or type the path of one)")
    if form.params:
        args += ["--params", params_text(form.params)]
    if start is not None:
        args += ["--from", str(start)]
    if end is not None:
        args += ["--to", str(end)]
    return args


def params_text(params: Mapping[str, Any]) -> str:
    """{"entry_z": 2.5, "direction": "follow"} -> "entry_z=2.5,direction=follow"."""
    def one(value: Any) -> str:
        return "true" if value is True else "false" if value is False else str(value)

    return ",".join(f"{k}={one(v)}" for k, v in params.items())


# -- a running job ----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class JobView:
    status: str  # running | done | failed | stopped
    fraction: float
    line: str


def job_view(progress: Mapping[str, Any] | None, alive: bool, what: str, now_ms: int, log_tail: str = "") -> JobView:
    """Where a started backtest is, in words, from its progress file and whether its process lives."""
    p = dict(progress or {})
    status = str(p.get("status") or "running")
    done, total = int(p.get("done") or 0), int(p.get("total") or 0)
    if status == "done":
        return JobView("done", 1.0, f"Finished {what}: {done:,} cycles, stored as {p.get('run_id', text.MISSING)}.")
    if status == "failed":
        return JobView("failed", 0.0, failure_text(p.get("error"), log_tail))
    if not alive:
        return JobView("stopped", 0.0, failure_text(None, log_tail) if log_tail.strip()
                       else f"The backtest of {what} stopped before it finished (it was stopped or ran out of memory).")
    elapsed_s = max(0.0, (now_ms - int(p.get("started_ts_ms") or now_ms)) / 1000)
    if total <= 0 or done <= 0:
        return JobView("running", 0.0, f"Loading the data for {what}… ({text.duration(elapsed_s)} so far)")
    share = min(done / total, 1.0)
    left = elapsed_s * (1 - share) / share if share > 0 else 0.0
    return JobView("running", share, f"{what}: {done:,} of {total:,} cycles ({share:.0%}), "
                                     f"about {text.duration(left)} left")


def failure_text(error: Any, log_tail: str) -> str:
    """The CLI's own message ("config error: ... did you mean ...") in one readable paragraph."""
    message = str(error or "").strip()
    if not message:
        lines = [ln.strip() for ln in log_tail.splitlines() if ln.strip() and not ln.startswith((" ", "\t", "\r"))]
        message = lines[-1] if lines else ""
    return f"The backtest did not run: {as_list(message)}" if message else "The backtest did not run (no error was recorded)."


def as_list(message: str) -> str:
    """The config validator's "  - key: problem" lines as a markdown list."""
    return message.replace("\n  - ", "\n- ")


# -- a stored run -----------------------------------------------------------------------------------

def run_time(run_id: str) -> str:
    """"2026-11-22 03:28 UTC" from a run id that starts with 20261122T032827..., else the id."""
    try:
        moment = datetime.strptime(run_id[:15], "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return run_id
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def run_label(report: Mapping[str, Any]) -> str:
    """"2026-11-22 03:28 UTC · spike_hunter (direction=follow) · +$0.42" for pickers and legends."""
    params = report.get("params") or {}
    head = f"{run_time(str(report.get('id', '')))} · {report.get('strategy', '?')}"
    if params:
        head += f" ({params_text(params)})"
    return f"{head} · {text.money(report.get('total_pnl_usd'), signed=True)}"


def _pct(value: Any, digits: int = 2, signed: bool = False) -> str:
    v = text.to_float(value)
    return text.MISSING if v is None else f"{v:+.{digits}f}%" if signed else f"{v:.{digits}f}%"


def _num(value: Any, digits: int = 2) -> str:
    v = text.to_float(value)
    return text.MISSING if v is None else f"{v:.{digits}f}"


def metric_cards(report: Mapping[str, Any], wins: int | None = None) -> list[tuple[str, str, str]]:
    """(label, value, plain-English caption) for each number of the report."""
    r = report
    trades = int(r.get("trades") or 0)
    win_caption = (f"{wins} of {text.plural(trades, 'closed trade')} made money" if wins is not None and trades
                   else "no closed trades" if not trades else "closed trades that made money")
    pf = r.get("profit_factor")
    pf_caption = ("no losing trades to compare with" if pf is None and trades else
                  "no closed trades" if pf is None else "won $ per $ lost (above 1 makes money)")
    ratio_caption = "needs two or more days of data" if r.get("sharpe_daily") is None else "daily returns, annualised"
    hold = r.get("avg_hold_s")
    return [
        ("P&L", text.money(r.get("total_pnl_usd"), signed=True),
         f"{text.pnl_sentence(r.get('total_pnl_usd'), 'over the run')}, after fees"),
        ("Return", _pct(r.get("return_pct"), 3, signed=True), "on the starting capital"),
        ("Win rate", _pct(r.get("win_rate_pct"), 0) if r.get("win_rate_pct") is not None else text.MISSING, win_caption),
        ("Profit factor", _num(pf), pf_caption),
        ("Sharpe", _num(r.get("sharpe_daily")), ratio_caption),
        ("Sortino", _num(r.get("sortino_daily")), ratio_caption.replace("daily returns", "daily losses")),
        ("Max drawdown", _pct(r.get("max_drawdown_pct")),
         f"worst fall from a peak: {text.money(r.get('max_drawdown_usd'))}"),
        ("Fees paid", text.money(r.get("fees_usd")), "taker fees on every buy and sell"),
        ("Trades", str(trades), f"{r.get('signals', 0):,} signals, {r.get('fills', 0):,} fills"),
        ("Average hold", text.duration(float(hold)) if hold is not None else text.MISSING,
         f"in a position {_pct(r.get('exposure_pct'), 0)} of the time"),
    ]


def summary(report: Mapping[str, Any]) -> str:
    """One sentence: what ran on what, how long, and how it ended."""
    r = report
    market_s = int(r.get("cycles") or 0)  # one cycle per second of market time
    open_end = int(r.get("open_positions_at_end") or 0)
    tail = (f"; {text.plural(open_end, 'position')} still open at the end (valued at the best bid)" if open_end else "")
    return (f"{r.get('strategy', '?')} on {r.get('source', '?')}: {text.money(r.get('total_pnl_usd'), signed=True)} "
            f"({_pct(r.get('return_pct'), 3, signed=True)}) over {text.duration(market_s)} of market time "
            f"with {text.plural(int(r.get('trades') or 0), 'closed trade')}{tail}. "
            f"{int(r.get('events') or 0):,} book updates took {r.get('seconds', text.MISSING)} s.")


def wins(trades: Sequence[Mapping[str, Any]]) -> int:
    return sum(1 for t in trades if (text.to_decimal(t.get("pnl_usd")) or 0) > 0)


def trades_frame(trades: Sequence[Mapping[str, Any]], tz: str = "UTC") -> pd.DataFrame:
    """A run's closed trades, newest first, with their reasons."""
    rows = [{
        "": text.result_icon(t.get("pnl_usd")),
        "Opened": text.date_time(t.get("opened_ts_ms"), tz),
        "Closed": text.date_time(t.get("closed_ts_ms"), tz),
        "Held": text.duration((int(t.get("closed_ts_ms") or 0) - int(t.get("opened_ts_ms") or 0)) / 1000),
        "Market": str(t.get("market_id") or text.MISSING),
        "Shares": text.shares(t.get("shares")),
        "Entry": text.cents(t.get("entry_price")),
        "Exit": text.cents(t.get("exit_price")),
        "P&L": text.money(t.get("pnl_usd"), signed=True),
        "Fees": text.money(t.get("fees_usd")),
        "Why it bought": str(t.get("entry_reason") or ""),
        "Why it sold": str(t.get("exit_reason") or ""),
    } for t in sorted(trades, key=lambda t: int(t.get("closed_ts_ms") or 0), reverse=True)]
    return pd.DataFrame(rows, columns=TRADE_COLUMNS)


def starting_usd(equity: Sequence[Mapping[str, Any]]) -> float | None:
    """The run's starting capital as drawn: its first equity point (strategies are still warming up
    then, so nothing has been bought yet)."""
    return float(equity[0]["equity_usd"]) if equity else None


# -- side by side -----------------------------------------------------------------------------------

COMPARE_ROWS = [
    ("Strategy", lambda r: str(r.get("strategy", "?"))),
    ("Parameters", lambda r: params_text(r.get("params") or {}) or "as configured"),
    ("Data", lambda r: str(r.get("source", "?"))),
    ("P&L", lambda r: text.money(r.get("total_pnl_usd"), signed=True)),
    ("Return", lambda r: _pct(r.get("return_pct"), 3, signed=True)),
    ("Win rate", lambda r: _pct(r.get("win_rate_pct"), 0) if r.get("win_rate_pct") is not None else text.MISSING),
    ("Profit factor", lambda r: _num(r.get("profit_factor"))),
    ("Sharpe (daily)", lambda r: _num(r.get("sharpe_daily"))),
    ("Sortino (daily)", lambda r: _num(r.get("sortino_daily"))),
    ("Max drawdown", lambda r: _pct(r.get("max_drawdown_pct"))),
    ("Exposure", lambda r: _pct(r.get("exposure_pct"), 0)),
    ("Fees paid", lambda r: text.money(r.get("fees_usd"))),
    ("Trades", lambda r: str(r.get("trades", 0))),
    ("Average hold", lambda r: text.duration(float(r["avg_hold_s"])) if r.get("avg_hold_s") is not None else text.MISSING),
    ("Market time", lambda r: text.duration(int(r.get("cycles") or 0))),
]


def comparison(reports: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """One column per run (labelled by time and strategy), one row per metric."""
    columns: dict[str, list[str]] = {"Metric": [name for name, _ in COMPARE_ROWS]}
    for i, r in enumerate(reports):
        label = f"#{i + 1} {run_time(str(r.get('id', '')))}"
        columns[label] = [fn(r) for _, fn in COMPARE_ROWS]
    return pd.DataFrame(columns)


def best_run(reports: Sequence[Mapping[str, Any]]) -> str:
    """"#2 made the most (+$0.42) with the smallest drawdown" — a one-line verdict, not advice."""
    if not reports:
        return ""
    pnl = [text.to_float(r.get("total_pnl_usd")) or 0.0 for r in reports]
    dd = [text.to_float(r.get("max_drawdown_pct")) or 0.0 for r in reports]
    top, calm = pnl.index(max(pnl)), dd.index(min(dd))
    line = f"#{top + 1} made the most ({text.money(pnl[top], signed=True)})"
    if top == calm:
        return line + " and had the smallest drawdown."
    return line + f"; #{calm + 1} had the smallest drawdown ({dd[calm]:.2f}%)."


def equity_chart(equity: Sequence[Mapping[str, Any]], starting: float | None, tz: str = "UTC") -> go.Figure:
    """One run's account value on the data's own clock, with its starting capital."""
    from ui.pnl import equity_chart as account_chart

    return account_chart([int(p["ts_ms"]) for p in equity], [float(p["equity_usd"]) for p in equity], starting, tz)


def overlay_chart(runs: Sequence[tuple[str, Sequence[Mapping[str, Any]], float | None]]) -> go.Figure:
    """P&L of several runs against time since each run's start, so runs over different data line up."""
    fig = go.Figure()
    fig.update_layout(height=360, margin={"l": 10, "r": 10, "t": 10, "b": 10}, yaxis_title="P&L ($)",
                      xaxis_title="Market time since the start (hours)", hovermode="x unified",
                      legend={"orientation": "h", "y": -0.2})
    drawn = 0
    for i, (label, equity, start) in enumerate(runs):
        if not equity:
            continue
        base = start if start is not None else float(equity[0]["equity_usd"])
        values = [float(p["equity_usd"]) - base for p in equity]
        keep = downsample_indices(values)
        t0 = int(equity[0]["ts_ms"])
        fig.add_trace(go.Scatter(x=[(int(equity[k]["ts_ms"]) - t0) / 3_600_000 for k in keep],
                                 y=[values[k] for k in keep], name=label,
                                 line={"color": PALETTE[i % len(PALETTE)], "width": 2}))
        drawn += 1
    if not drawn:
        fig.add_annotation(text="These runs stored no equity points", showarrow=False, x=0.5, y=0.5,
                           xref="paper", yref="paper")
    return fig

