"""The settings tree: pure, frozen pydantic models for every section of config/config.yaml.

No I/O here, so the pure core may import these types. Loading, profiles and secrets live in
``bot.config.loader``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class ConfigError(ValueError):
    """A config problem, phrased for the person who edits config.yaml."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Money(_Section):
    starting_capital_usd: Decimal = Field(Decimal(75), gt=0)
    min_trade_usd: Decimal = Field(Decimal(1), ge=1)
    max_trade_usd: Decimal = Field(Decimal(3), gt=0)

    @model_validator(mode="after")
    def _trade_range(self) -> Money:
        if self.min_trade_usd > self.max_trade_usd:
            raise ValueError("min_trade_usd must not exceed max_trade_usd")
        return self


class Detection(_Section):
    window_points: int = Field(60, ge=10, le=600)
    warmup_points: int = Field(20, ge=2, le=600)
    cusum_threshold: float = Field(0.03, gt=0, lt=1)
    cusum_slack: float = Field(0.005, ge=0, lt=1)
    ewma_span: int = Field(20, ge=2, le=1000)
    ewma_multiplier: float = Field(2.5, gt=0, le=10)
    roc_threshold_pct: float = Field(1.0, gt=0, le=100)
    roc_periods: int = Field(3, ge=1, le=100)
    min_liquidity_usd: float = Field(50, ge=0)
    max_spread: float = Field(0.03, gt=0, le=1)
    depth_levels: int = Field(5, ge=1, le=50)


class SpikeHunter(_Section):
    enabled: bool = True
    direction: Literal["fade", "follow"] = "fade"
    max_capital_usd: Decimal = Field(Decimal(75), gt=0)


class Strategies(_Section):
    spike_hunter: SpikeHunter = SpikeHunter()


class Exits(_Section):
    take_profit_pct: float = Field(3.0, gt=0, le=100)
    stop_loss_pct: float = Field(2.0, gt=0, le=100)
    atr_stop: float = Field(2.0, gt=0, le=20)
    atr_profit: float = Field(3.0, gt=0, le=20)
    trailing_stop: bool = True
    max_hold_s: int = Field(3600, ge=1)


class Risk(_Section):
    max_daily_loss_usd: Decimal = Field(Decimal(2), gt=0)
    max_position_usd: Decimal = Field(Decimal(3), gt=0)
    max_open_trades: int = Field(2, ge=0, le=1000)
    cooldown_s: int = Field(30, ge=0)
    breaker_consecutive_losses: int = Field(3, ge=1, le=100)
    breaker_pause_s: int = Field(900, ge=0)
    max_capital_per_market_usd: Decimal = Field(Decimal(10), gt=0)
    max_drawdown_pct: float = Field(10.0, gt=0, le=100)
    no_entry_before_end_s: int = Field(3600, ge=0)
    daily_loss_warning_pct: float = Field(80.0, gt=0, le=100)


class Filters(_Section):
    min_daily_volume_usd: float = Field(5000, ge=0)
    min_liquidity_usd: float = Field(0, ge=0)
    max_markets: int = Field(500, ge=1, le=20000)


class Execution(_Section):
    entry_order_type: Literal["FOK", "FAK"] = "FAK"
    exit_order_type: Literal["FOK", "FAK"] = "FAK"
    latency_ms: int = Field(0, ge=0, le=60000)
    max_slippage_ticks: int = Field(3, ge=0, le=100)


class Sim(_Section):
    seed: int = 42
    markets: int = Field(50, ge=1, le=20000)
    jump_probability: float = Field(0.002, ge=0, le=1)
    resolution_probability: float = Field(0.00002, ge=0, le=1)


class Notifications(_Section):
    telegram: bool = True
    discord: bool = True
    on_entry: bool = True
    on_exit: bool = True
    on_spike: bool = False
    on_risk: bool = True
    on_error: bool = True


class Storage(_Section):
    tick_retention_days: int = Field(7, ge=1, le=3650)
    snapshot_every_s: int = Field(5, ge=1, le=5)
    duckdb_memory_limit_mb: int = Field(256, ge=64, le=65536)
    duckdb_threads: int = Field(1, ge=1, le=64)
    equity_every_s: int = Field(10, ge=1, le=3600)


class Runtime(_Section):
    cycle_s: float = Field(1.0, gt=0, le=60)
    source: Literal["sim", "replay", "live"] = "sim"


class Dashboard(_Section):
    refresh_s: int = Field(2, ge=1, le=60)
    stale_after_s: int = Field(10, ge=2, le=3600)


class Settings(_Section):
    mode: Literal["paper", "live"] = "paper"
    money: Money = Money()
    detection: Detection = Detection()
    strategies: Strategies = Strategies()
    exits: Exits = Exits()
    risk: Risk = Risk()
    filters: Filters = Filters()
    execution: Execution = Execution()
    sim: Sim = Sim()
    notifications: Notifications = Notifications()
    storage: Storage = Storage()
    runtime: Runtime = Runtime()
    dashboard: Dashboard = Dashboard()


# Settings the running bot may adopt without a restart (the dashboard marks the others).
HOT_RELOADABLE_SECTIONS = ("detection", "exits", "risk", "money", "strategies", "notifications")
