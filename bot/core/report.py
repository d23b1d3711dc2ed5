"""The engine's state as the read model of docs/READ_MODEL.md (JSON-ready, money as strings).

Pure: the runtime adds the wall-clock heartbeat, cycle timings and process figures, then writes it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np

from bot.core.engine import Engine
from bot.domain.money import ZERO, cents
from bot.domain.positions import ClosedTrade
from bot.domain.signals import Signal

MAX_MARKETS = 200
DEPTH_LEVELS = 10  # book levels per side published for each watched market


def _money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.000001")).normalize()) if value else "0"


def _market_row(engine: Engine, token_id: str) -> dict[str, Any] | None:
    detector = engine.detectors[token_id]
    state = engine.tokens[token_id]
    market = engine.market_of[token_id]
    book = state.book
    if book is None or detector.samples == 0:
        return None
    threshold = engine.settings.detection.cusum_threshold
    oldest = engine.series.oldest_price(engine.series.slot(token_id))
    move = detector.price - oldest if oldest is not None else 0.0
    cusum_peak = max(detector.cusum.pos, detector.cusum.neg)
    if not detector.warm:
        status, text = "warming_up", f"Learning this market: {detector.samples} of {detector.params.warmup_points} prices seen."
    elif detector.alarm:
        status = "spike"
        text = f"Spike: price {'jumped' if detector.alarm > 0 else 'dropped'} to {cents(round(detector.price, 4))}."
    elif abs(move) < 0.002 and cusum_peak < threshold * 0.1:
        status, text = "quiet", f"Quiet: price {cents(round(detector.price, 4))}, barely moving."
    else:
        status = "normal"
        text = (f"Steady: price {cents(round(detector.price, 4))}, within its normal band "
                f"({cents(round(detector.lower, 4))}–{cents(round(detector.upper, 4))})."
                if detector.upper == detector.upper else f"Price {cents(round(detector.price, 4))}.")
    return {
        "market_id": market.market_id, "question": market.question, "token_id": token_id,
        "outcome": market.primary.outcome, "price": detector.price, "best_bid": book.best_bid,
        "best_ask": book.best_ask, "spread": book.spread, "move_60s": move, "ewma_mean": _f(detector.mean),
        "upper_band": _f(detector.upper), "lower_band": _f(detector.lower), "cusum_pos": detector.cusum.pos,
        "cusum_neg": detector.cusum.neg, "cusum_threshold": threshold, "roc_pct": detector.roc_pct,
        "samples": detector.samples, "status": status, "explanation": text,
        "end_ts_ms": market.end_ts_ms, "volume_24h_usd": market.volume_24h_usd,
        # Top of the book for the dashboard's depth chart: [price, size] pairs, best first.
        "bids": [list(level) for level in book.bids[:DEPTH_LEVELS]],
        "asks": [list(level) for level in book.asks[:DEPTH_LEVELS]],
    }


def _f(value: float) -> float | None:
    return None if value != value else value


def signal_row(engine: Engine, signal: Signal) -> dict[str, Any]:
    market = engine.markets.get(signal.market_id)
    return {
        "signal_id": signal.signal_id, "ts_ms": signal.ts_ms, "market_id": signal.market_id,
        "question": market.question if market else "", "token_id": signal.token_id, "strategy": signal.strategy,
        "direction": signal.direction.value, "price": signal.price, "move": signal.move,
        "decision": signal.decision.value, "reason": signal.reason,
        "layers": [{"name": x.name, "value": x.value, "threshold": x.threshold, "passed": x.passed} for x in signal.layers],
    }


def trade_row(engine: Engine, trade: ClosedTrade) -> dict[str, Any]:
    market = engine.markets.get(trade.market_id)
    return {
        "trade_id": trade.trade_id, "market_id": trade.market_id, "question": market.question if market else "",
        "token_id": trade.token_id, "outcome": market.token(trade.token_id).outcome if market else "",
        "strategy": trade.strategy, "shares": _money(trade.shares), "entry_price": _money(trade.entry_price),
        "exit_price": _money(trade.exit_price), "pnl_usd": _money(trade.pnl_usd), "fees_usd": _money(trade.fees_usd),
        "opened_ts_ms": trade.opened_ts_ms, "closed_ts_ms": trade.closed_ts_ms,
        "entry_reason": trade.entry_reason, "exit_reason": trade.exit_reason,
    }


def _selected(engine: Engine, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    held = [engine.market_of[t].primary.token_id for t in engine.portfolio.positions if t in engine.market_of]
    candidates = held or [row["token_id"] for row in rows]
    if not candidates:
        return None
    token_id = candidates[0]
    market = engine.market_of[token_id]
    markers = [{"ts_ms": ts, "price": price, "side": side, "text": text}
               for ts, price, side, text in engine.markers.get(market.market_id, ())]
    return {
        "market_id": market.market_id, "token_id": token_id, "question": market.question,
        "series": engine.series.series(token_id), "cusum_threshold": engine.settings.detection.cusum_threshold,
        "markers": markers,
    }


def build_state(engine: Engine) -> dict[str, Any]:
    p = engine.portfolio
    settings = engine.settings
    now = engine.now_ms
    bids = engine.bids_of_positions()
    value, unrealised = p.marks(bids)
    equity = p.cash + value
    today = p.today if p.today.day == now // 86_400_000 else None
    realised_today = today.realised if today else ZERO
    drawdown = float((p.peak_equity - equity) / p.peak_equity * 100) if p.peak_equity > 0 else 0.0
    daily_loss = max(-(realised_today + min(unrealised, ZERO)), ZERO)
    limit = settings.risk.max_daily_loss_usd
    # Rank cheaply over every token, then build rows only for the few shown.
    bank = engine.detectors
    tokens, slots = bank.live_slots()
    # Column-wise: alarm first, then CUSUM pressure, then samples; ties keep listing order.
    order = np.lexsort((-bank.samples[slots], -np.maximum(bank.cu_pos[slots], bank.cu_neg[slots]),
                        -(bank.alarm[slots] != 0).astype(np.int64)))[:MAX_MARKETS]
    busiest = [tokens[i] for i in order.tolist()]
    rows = [row for token_id in busiest if (row := _market_row(engine, token_id)) is not None]
    cooldowns = []
    for market_id, last_ms in p.last_entry_ms.items():
        left = last_ms + settings.risk.cooldown_s * 1000 - now
        if left > 0 and market_id in engine.markets:
            cooldowns.append({"market_id": market_id, "question": engine.markets[market_id].question,
                              "seconds_left": (left + 999) // 1000})
    status = "paused" if engine.paused else "entries_stopped" if engine.entries_stopped else "running"
    positions = []
    for position in p.positions.values():
        market = engine.markets.get(position.market_id)
        bid = bids.get(position.token_id)
        position_value = p.position_value(position, bid)
        positions.append({
            "market_id": position.market_id, "question": market.question if market else "",
            "token_id": position.token_id, "outcome": market.token(position.token_id).outcome if market else "",
            "strategy": position.strategy, "shares": _money(position.shares), "entry_price": _money(position.entry_price),
            "mark_price": bid, "cost_usd": _money(position.cost_usd), "value_usd": _money(position_value),
            "unrealised_usd": _money(position_value - position.cost_usd), "stop_price": _money(position.stop_price),
            "target_price": _money(position.target_price), "opened_ts_ms": position.opened_ts_ms,
            "reason": position.entry_reason,
        })
    return {
        "version": 1,
        "market_ts_ms": now,
        "mode": settings.mode,
        "status": status,
        "capital": {"starting_usd": _money(p.starting_cash), "cash_usd": _money(p.cash),
                    "positions_value_usd": _money(value), "equity_usd": _money(equity),
                    "peak_equity_usd": _money(p.peak_equity)},
        "performance": {
            "today_pnl_usd": _money(realised_today + unrealised), "today_realised_usd": _money(realised_today),
            "unrealised_usd": _money(unrealised), "total_pnl_usd": _money(equity - p.starting_cash),
            "trades_today": today.trades if today else 0, "wins_today": today.wins if today else 0,
            "losses_today": today.losses if today else 0, "trades_total": p.trades_total,
            "wins_total": p.wins_total, "losses_total": p.losses_total, "fees_total_usd": _money(p.fees_total),
            "drawdown_pct": drawdown,
        },
        "risk": {
            "daily_loss_usd": _money(daily_loss), "daily_loss_limit_usd": _money(limit),
            "daily_loss_used_pct": float(daily_loss / limit * 100) if limit else 0.0,
            "open_trades": len(p.positions), "max_open_trades": settings.risk.max_open_trades,
            "paused": engine.paused, "entries_stopped": engine.entries_stopped,
            "breaker": {"tripped": engine.breaker_until_ms is not None and now < engine.breaker_until_ms,
                        "until_ts_ms": engine.breaker_until_ms, "consecutive_losses": p.consecutive_losses,
                        "threshold": settings.risk.breaker_consecutive_losses},
            "drawdown_pct": drawdown, "max_drawdown_pct": settings.risk.max_drawdown_pct,
            "kill_switch": engine.kill_switch, "cooldowns": cooldowns,
        },
        "markets": rows[:MAX_MARKETS],
        "selected": _selected(engine, rows),
        "positions": positions,
        "recent_signals": [signal_row(engine, s) for s in engine.recent_signals],
        "recent_trades": [trade_row(engine, t) for t in engine.recent_trades],
        "counters": {**engine.counters, "dropped": dict(engine.dropped)},
        "commands": {"last_done": [{"command_id": c.command_id, "ok": c.ok, "text": c.text, "ts_ms": c.ts_ms}
                                   for c in engine.commands_done]},
        # Strategies their own safety switched off (name -> why, in plain English); Resume re-arms them.
        "strategies_disabled": dict(engine.safety.disabled),
    }
