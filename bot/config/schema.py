"""The settings tree: pure, frozen pydantic models for every section of config/config.yaml.

No I/O here, so the pure core may import these types. Loading, profiles and secrets live in
``bot.config.loader``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

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


class _Strategy(_Section):
    """What every strategy block has: on/off, its capital allocation and its own safety limits."""

    enabled: bool = False
    max_capital_usd: Decimal = Field(Decimal(20), gt=0)
    max_loss_usd: Decimal = Field(Decimal(10), gt=0)  # realised + open loss that switches it off
    max_drawdown_pct: float = Field(50.0, gt=0, le=100)  # fall from its best P&L, % of its capital


class SpikeHunter(_Strategy):
    enabled: bool = True
    direction: Literal["fade", "follow"] = "fade"
    max_capital_usd: Decimal = Field(Decimal(75), gt=0)
    max_loss_usd: Decimal = Field(Decimal(20), gt=0)


class DualArb(_Strategy):
    buffer: float = Field(0.005, ge=0, lt=0.5)
    pair_usd: Decimal = Field(Decimal(5), gt=0)
    neg_risk_groups: bool = False


class MeanReversion(_Strategy):
    window_points: int = Field(60, ge=5, le=10000)
    entry_z: float = Field(2.0, gt=0, le=20)
    exit_z: float = Field(0.5, ge=0, le=20)
    min_std: float = Field(0.002, gt=0, lt=1)
    trade_usd: Decimal = Field(Decimal(3), gt=0)


class Momentum(_Strategy):
    window_points: int = Field(30, ge=2, le=10000)
    min_move: float = Field(0.03, gt=0, lt=1)
    confirm_points: int = Field(3, ge=1, le=1000)
    trade_usd: Decimal = Field(Decimal(3), gt=0)


class MarketMaker(_Strategy):
    min_half_spread: float = Field(0.01, gt=0, lt=0.5)
    vol_multiplier: float = Field(2.0, ge=0, le=50)
    vol_window_points: int = Field(30, ge=2, le=10000)
    quote_shares: Decimal = Field(Decimal(5), gt=0)
    max_inventory_shares: Decimal = Field(Decimal(20), gt=0)
    requote_ticks: int = Field(1, ge=1, le=100)
    max_markets: int = Field(5, ge=1, le=1000)


class ValueBetting(_Strategy):
    # token_id -> the probability (0..1) you believe it pays $1.
    references: dict[str, Annotated[float, Field(gt=0, lt=1)]] = Field(default_factory=dict)
    edge: float = Field(0.03, ge=0, lt=1)
    exit_edge: float = Field(0.0, ge=0, lt=1)
    trade_usd: Decimal = Field(Decimal(3), gt=0)


class TimeOfDay(_Strategy):
    min_days: int = Field(5, ge=1, le=1000)
    threshold: float = Field(0.01, gt=0, lt=1)
    min_agreement: float = Field(0.7, ge=0.5, le=1)
    trade_usd: Decimal = Field(Decimal(3), gt=0)


class MlPrediction(_Strategy):
    model_path: str = Field("data/models", min_length=1)  # a model version folder, or a folder of versions
    min_probability: float = Field(0.65, gt=0.5, lt=1)
    exit_probability: float = Field(0.5, gt=0, lt=1)
    trade_usd: Decimal = Field(Decimal(3), gt=0)


class Strategies(_Section):
    spike_hunter: SpikeHunter = SpikeHunter()
    dual_arb: DualArb = DualArb()
    mean_reversion: MeanReversion = MeanReversion()
    momentum: Momentum = Momentum()
    market_maker: MarketMaker = MarketMaker()
    value_betting: ValueBetting = ValueBetting()
    time_of_day: TimeOfDay = TimeOfDay()
    ml_prediction: MlPrediction = MlPrediction()


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
    on_command: bool = True
    hourly_status: bool = True
    daily_summary: bool = True
    daily_summary_utc: str = Field("21:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    weekly_report: bool = True
    weekly_report_day: Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] = "sunday"
    feed_down_alert_s: int = Field(60, ge=5, le=86400)
    api_failures_alert: int = Field(3, ge=1, le=1000)
    telegram_chat_ids: tuple[str, ...] = ()
    telegram_api_url: str = Field("https://api.telegram.org/bot", pattern=r"^https?://")
    telegram_min_interval_s: float = Field(1.0, ge=0, le=60)
    discord_min_interval_s: float = Field(1.0, ge=0, le=60)
    dedup_window_s: int = Field(60, ge=0, le=86400)
    batch_window_s: float = Field(2.0, ge=0, le=60)
    send_timeout_s: float = Field(10.0, gt=0, le=120)
    max_retries: int = Field(3, ge=0, le=10)
    max_queue: int = Field(500, ge=10, le=100000)


class Storage(_Section):
    tick_retention_days: int = Field(7, ge=1, le=3650)
    snapshot_every_s: int = Field(5, ge=1, le=5)
    bars_snapshot_every_s: int = Field(60, ge=5, le=3600)
    duckdb_memory_limit_mb: int = Field(128, ge=64, le=65536)
    duckdb_threads: int = Field(1, ge=1, le=64)
    equity_every_s: int = Field(10, ge=1, le=3600)


class Runtime(_Section):
    cycle_s: float = Field(1.0, gt=0, le=60)
    source: Literal["sim", "replay", "live"] = "live"
    record: bool = False  # also write the normalised feed as a recording under data/recordings/


class Dashboard(_Section):
    refresh_s: int = Field(2, ge=1, le=60)
    stale_after_s: int = Field(10, ge=2, le=3600)


class Health(_Section):
    enabled: bool = True
    host: str = Field("127.0.0.1", min_length=1, max_length=253)
    port: int = Field(8502, ge=1, le=65535)
    stale_after_s: int = Field(10, ge=2, le=3600)


class Backup(_Section):
    dir: str = Field("backups", min_length=1, max_length=1000)
    keep: int = Field(7, ge=1, le=1000)
    every_h: float = Field(24.0, ge=0, le=8760)
    s3_bucket: str = Field("", max_length=255)
    s3_prefix: str = Field("polybot/", max_length=500)
    s3_endpoint_url: str = Field("", max_length=1000)


class Housekeeping(_Section):
    compact_every_h: float = Field(6.0, ge=0, le=8760)
    disk_check_every_s: int = Field(300, ge=10, le=86400)
    disk_warn_pct: float = Field(90.0, gt=0, le=100)


class Polymarket(_Section):
    gamma_url: str = Field("https://gamma-api.polymarket.com", pattern=r"^https?://\S+$")
    clob_url: str = Field("https://clob.polymarket.com", pattern=r"^https?://\S+$")
    ws_url: str = Field("wss://ws-subscriptions-clob.polymarket.com/ws/market", pattern=r"^wss?://\S+$")
    geoblock_url: str = Field("https://polymarket.com/api/geoblock", pattern=r"^https?://\S+$")
    timeout_s: float = Field(10.0, gt=0, le=120)


class Scanner(_Section):
    """Which live markets to watch (with ``filters``): refreshed from Gamma every ``refresh_s``."""

    refresh_s: int = Field(60, ge=5, le=3600)
    max_pages: int = Field(50, ge=1, le=101)  # 100 markets a page; Gamma refuses offsets past 10,000
    priority: Literal["volume_24h", "liquidity", "ending_soon", "tight_spread"] = "volume_24h"
    max_spread: float = Field(0.10, gt=0, le=1)
    max_days_to_end: int = Field(365, ge=1, le=3650)
    include_keywords: tuple[str, ...] = ()
    exclude_keywords: tuple[str, ...] = ()


class Feed(_Section):
    """How live prices arrive: WebSocket, REST polling, or WebSocket with REST fallback."""

    mode: Literal["ws", "rest", "auto"] = "auto"
    stale_after_s: float = Field(20.0, ge=2, le=600)
    ws_ping_s: float = Field(10.0, ge=1, le=60)
    ws_silence_s: float = Field(30.0, ge=1, le=600)
    max_assets_per_ws: int = Field(200, ge=1, le=500)
    rest_batch: int = Field(500, ge=1, le=500)
    max_backoff_s: float = Field(2.0, ge=0.1, le=300)
    book_levels: int = Field(20, ge=1, le=500)


class Live(_Section):
    reconcile_every_s: int = Field(60, ge=5, le=3600)
    poll_orders_every_s: float = Field(2.0, ge=0.2, le=300)
    balance_retry_attempts: int = Field(4, ge=0, le=20)
    balance_retry_backoff_s: float = Field(1.0, gt=0, le=60)
    restart_retry_max_s: float = Field(120.0, ge=0, le=3600)
    max_cash_drift_usd: Decimal = Field(Decimal("0.01"), ge=0)


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
    health: Health = Health()
    backup: Backup = Backup()
    housekeeping: Housekeeping = Housekeeping()
    polymarket: Polymarket = Polymarket()
    live: Live = Live()
    scanner: Scanner = Scanner()
    feed: Feed = Feed()


# Settings the running bot may adopt without a restart (the dashboard marks the others).
HOT_RELOADABLE_SECTIONS = ("detection", "exits", "risk", "money", "strategies", "notifications")
