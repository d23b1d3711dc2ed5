"""Backtests: one strategy over recorded (or simulated) data through the very engine that trades live.

``run_backtest`` builds the bot with ``wiring.build`` (same Engine, risk and PaperExecutor as
``run``), switches every other strategy off, applies ``--params`` overrides through the config
validator (an unknown parameter is a clear error with a did-you-mean), and drives the feed on the
data's own clock with the offline runner's cycle loop. It collects every signal, fill and closed
trade as the engine emits them and an equity point per cycle, then ``metrics`` turns those into
the report. Runs are stored under ``<data>/backtests/<run id>/`` (report, trades, equity) so they
can be listed and compared later.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.adapters.feeds.recording import Recording
from bot.adapters.feeds.replay import ReplayFeed
from bot.config.loader import validate
from bot.config.schema import ConfigError, Settings
from bot.domain.actions import RecordSignal, RecordTrade
from bot.domain.events import BookBatch
from bot.domain.money import ZERO
from bot.domain.orders import Fill
from bot.domain.positions import ClosedTrade
from bot.domain.signals import Signal
from bot.wiring import Bot, build

DAY_MS = 86_400_000
SIM_START_MS = 1_800_000_000_000


@dataclass
class BacktestRun:
    """Everything a run produced, in emission order."""

    strategy: str
    params: dict[str, Any]
    source: str
    signals: list[Signal] = field(default_factory=list)
    fills: list[Fill] = field(default_factory=list)
    trades: list[ClosedTrade] = field(default_factory=list)
    equity: list[tuple[int, float, bool]] = field(default_factory=list)  # (ts_ms, equity, holding anything)
    cycles: int = 0
    ticks: int = 0
    seconds: float = 0.0
    metrics: dict[str, Any] = field(default_factory=dict)


def parse_params(text: str | None) -> dict[str, Any]:
    """``k=v,k2=v2`` -> dict, values read as YAML scalars (numbers, true/false, words)."""
    from ruamel.yaml import YAML

    out: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--params entry {part!r} must look like name=value")
        out[key.strip()] = YAML(typ="safe").load(value.strip()) if value.strip() else ""
    return out


def backtest_settings(base: Settings, strategy: str, params: dict[str, Any]) -> Settings:
    """``base`` with only ``strategy`` enabled and ``params`` applied, validated like config.yaml."""
    known = list(type(base.strategies).model_fields)
    if strategy not in known:
        import difflib

        hint = difflib.get_close_matches(strategy, known, n=1)
        raise ConfigError(f"unknown strategy {strategy!r}" + (f"; did you mean {hint[0]!r}?" if hint else "")
                          + f" Known: {', '.join(known)}.")
    data = base.model_dump(mode="json")
    for name in known:
        data["strategies"][name]["enabled"] = name == strategy
    data["strategies"][strategy].update(params)
    return validate(data, f"backtest --params for {strategy}")


def slice_recording(recording: Recording, from_ms: int | None, to_ms: int | None) -> Recording:
    if from_ms is None and to_ms is None:
        return recording
    import pyarrow.compute as pc

    ts = recording.ticks.column("ts_ms")
    mask = pc.and_(pc.greater_equal(ts, from_ms if from_ms is not None else -(2**62)),
                   pc.less_equal(ts, to_ms if to_ms is not None else 2**62))
    ticks = recording.ticks.filter(mask)
    if ticks.num_rows == 0:
        raise ValueError("no ticks between --from and --to")
    return Recording(recording.path, recording.markets, recording.payouts, ticks)


def make_bot(settings: Settings, data: Path | None, sim_cycles: int | None, from_ms: int | None = None,
             to_ms: int | None = None) -> tuple[Bot, int | None, str]:
    """An in-memory bot over a recording (or the simulator); returns (bot, cycle limit, source text)."""
    if data is None:
        bot = build(settings, "sim", None, start_ts_ms=from_ms or SIM_START_MS)
        return bot, sim_cycles or 3600, f"sim seed {settings.sim.seed}, {settings.sim.markets} markets"
    bot = build(settings, "replay", None, replay_path=data)  # exactly what `run --source replay` composes
    assert isinstance(bot.feed, ReplayFeed)
    if from_ms is not None or to_ms is not None:
        bot.feed = ReplayFeed(slice_recording(bot.feed.recording, from_ms, to_ms), bot.feed.cycle_ms)
    return bot, None, f"{data} ({len(bot.feed.recording):,} ticks)"


def run_backtest(settings: Settings, strategy: str, params: dict[str, Any] | None = None, *, data: Path | None = None,
                 sim_cycles: int | None = None, from_ms: int | None = None, to_ms: int | None = None,
                 progress: Callable[[int, int], None] | None = None) -> BacktestRun:
    params = params or {}
    settings = backtest_settings(settings, strategy, params)
    bot, max_cycles, source = make_bot(settings, data, sim_cycles, from_ms, to_ms)
    run = BacktestRun(strategy, params, source)
    engine, runner = bot.engine, bot.runner
    process = engine.process

    def watching(event: Any) -> list[Any]:
        actions = process(event)
        for action in actions:
            if isinstance(action, RecordSignal) and action.signal.strategy == strategy:
                run.signals.append(action.signal)
            elif isinstance(action, RecordTrade):
                run.trades.append(action.trade)
        return actions

    engine.process = watching  # type: ignore[method-assign]
    runner.on_fill = run.fills.append
    total = max_cycles or _cycles_of(bot)
    started = time.perf_counter()
    while max_cycles is None or run.cycles < max_cycles:
        cycle = bot.feed.next_cycle()
        if cycle is None:
            break
        runner.run_cycle(cycle.ts_ms, cycle.events)
        run.cycles += 1
        run.ticks += sum(len(e) if isinstance(e, BookBatch) else 1 for e in cycle.events)
        p = engine.portfolio
        value, _ = p.marks(engine.bids_of_positions()) if p.positions else (ZERO, ZERO)
        run.equity.append((cycle.ts_ms, float(p.cash + value), bool(p.positions)))
        if progress is not None and run.cycles % 500 == 0:
            progress(run.cycles, total)
    run.seconds = time.perf_counter() - started
    if progress is not None:
        progress(run.cycles, run.cycles)
    run.metrics = metrics(run, float(settings.money.starting_capital_usd), engine.portfolio.fees_total)
    return run


def _cycles_of(bot: Bot) -> int:
    feed = bot.feed
    if isinstance(feed, ReplayFeed) and len(feed.recording):
        ts = feed.recording.ticks.column("ts_ms")
        return int((ts[len(ts) - 1].as_py() - ts[0].as_py()) // feed.cycle_ms) + 1
    return 0


def metrics(run: BacktestRun, start_usd: float, fees: Decimal) -> dict[str, Any]:
    """The report's numbers, from the equity curve (one point per cycle) and the closed trades."""
    equity = [e for _, e, _ in run.equity] or [start_usd]
    final = equity[-1]
    peak, max_dd, max_dd_usd = start_usd, 0.0, 0.0
    for value in equity:
        peak = max(peak, value)
        if peak > 0 and (peak - value) / peak > max_dd:
            max_dd, max_dd_usd = (peak - value) / peak, peak - value
    daily: dict[int, float] = {}
    for ts, value, _ in run.equity:
        daily[ts // DAY_MS] = value  # the day's closing equity
    closes = [start_usd, *daily.values()]
    day_pnl = [b - a for a, b in zip(closes, closes[1:], strict=False)]
    day_ret = [(b - a) / a for a, b in zip(closes, closes[1:], strict=False) if a > 0]
    pnls = [float(t.pnl_usd) for t in run.trades]
    wins, losses = [p for p in pnls if p > 0], [p for p in pnls if p <= 0]
    return {
        "total_pnl_usd": round(final - start_usd, 6),
        "return_pct": round((final - start_usd) / start_usd * 100, 4),
        "daily_pnl_usd": {str(day * DAY_MS): round(p, 6) for day, p in zip(daily, day_pnl, strict=False)},
        "win_rate_pct": round(len(wins) / len(pnls) * 100, 2) if pnls else None,
        "profit_factor": round(sum(wins) / -sum(losses), 4) if losses and sum(losses) < 0 else None,
        "sharpe_daily": _ratio(day_ret, downside=False),
        "sortino_daily": _ratio(day_ret, downside=True),
        "max_drawdown_pct": round(max_dd * 100, 4),
        "max_drawdown_usd": round(max_dd_usd, 6),
        "exposure_pct": round(sum(1 for *_, h in run.equity if h) / len(run.equity) * 100, 2) if run.equity else 0.0,
        "fees_usd": float(fees),
        "trades": len(run.trades),
        "avg_hold_s": round(sum((t.closed_ts_ms - t.opened_ts_ms) / 1000 for t in run.trades) / len(run.trades), 1)
        if run.trades else None,
        "signals": len(run.signals), "fills": len(run.fills), "cycles": run.cycles, "events": run.ticks,
        "open_positions_at_end": sum(1 for *_, h in run.equity[-1:] if h),
        "seconds": round(run.seconds, 3),
        "events_per_s": round(run.ticks / run.seconds) if run.seconds > 0 else None,
    }


def _ratio(returns: list[float], downside: bool) -> float | None:
    """Annualised (365 days: markets trade every day) mean over (downside) deviation of daily returns."""
    if len(returns) < 2:
        return None
    mean = sum(returns) / len(returns)
    dev = [min(r, 0.0) for r in returns] if downside else [r - mean for r in returns]
    sd = math.sqrt(sum(d * d for d in dev) / (len(returns) - 1))
    return round(mean / sd * math.sqrt(365), 4) if sd > 0 else None


# ---------------------------------------------------------------------------------- stored runs


def save_run(run: BacktestRun, root: Path, ts_label: str) -> Path:
    """Write report.json, trades.json and equity.json under ``root/<id>`` (atomic per file)."""
    run_id = f"{ts_label}-{run.strategy}"
    folder = root / run_id
    folder.mkdir(parents=True, exist_ok=True)
    report = {"id": run_id, "strategy": run.strategy, "params": run.params, "source": run.source, **run.metrics}
    trades = [{"trade_id": t.trade_id, "market_id": t.market_id, "token_id": t.token_id, "shares": str(t.shares),
               "entry_price": str(t.entry_price), "exit_price": str(t.exit_price), "pnl_usd": str(t.pnl_usd),
               "fees_usd": str(t.fees_usd), "opened_ts_ms": t.opened_ts_ms, "closed_ts_ms": t.closed_ts_ms,
               "entry_reason": t.entry_reason, "exit_reason": t.exit_reason} for t in run.trades]
    step = max(1, len(run.equity) // 2000)  # a chart needs ~2,000 points, not every cycle
    equity = [{"ts_ms": ts, "equity_usd": round(e, 6)} for ts, e, _ in run.equity[::step]]
    for name, payload in (("report.json", report), ("trades.json", trades), ("equity.json", equity)):
        tmp = folder / f".{name}.tmp"
        tmp.write_text(json.dumps(payload, indent=1, default=str))
        tmp.replace(folder / name)
    return folder


def list_runs(root: Path) -> list[dict[str, Any]]:
    """Stored runs' reports, newest first."""
    if not root.exists():
        return []
    reports = []
    for path in sorted(root.glob("*/report.json"), reverse=True):
        try:
            reports.append(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue  # a half-written or foreign folder is skipped, not fatal
    return reports
