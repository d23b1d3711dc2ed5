"""Dashboard render benchmark: every page, server side, against a big store (`make bench-dashboard`).

Builds a data dir the way the bot would: a DuckDB store filled with 1,000,000 ticks (and the
1-minute bars the bot folds them into), 100,000 closed trades with their 200,000 fills and orders,
150,000 signals, 100,000 equity samples and 500 markets, exported with the bot's own
``Store.export_snapshots``; state.json comes from a short real sim run with 200 markets. Then each
page is rendered with Streamlit's AppTest (the script run a browser would trigger, without the
network) and timed: "cold" with every cache cleared, as after a cache TTL expires, and "warm".
Not a test: it prints a table (and --json) for the README.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PAGES = {"Overview": None, "Markets": "pages/markets.py", "Trades": "pages/trades.py", "Signals": "pages/signals.py",
         "P&L": "pages/pnl.py", "Control": "pages/control.py", "Safety": "pages/safety.py",
         "Strategies": "pages/strategies.py", "Settings": "pages/settings.py", "Health": "pages/health.py",
         "Data explorer": "pages/data_explorer.py"}
DAY_MS = 86_400_000


def build_store(data_dir: Path, now_ms: int, ticks: int, trades: int, markets: int = 500) -> dict[str, int]:
    from bot.adapters.storage.duckdb_store import Store

    store = Store(data_dir / "polybot.duckdb", memory_limit_mb=1024, threads=2)
    con = store._con  # the bench owns this file; bulk SQL is the only sane way to write a million rows
    con.execute(f"""
        INSERT INTO markets (market_id, question, token_id_a, outcome_a, token_id_b, outcome_b, tick_size,
                             min_order_size, fee_rate, neg_risk, end_ts_ms, volume_24h_usd, liquidity_usd)
        SELECT 'sim-' || i, 'Will benchmark event ' || i || ' happen by December ' || (1 + i % 28) || '?',
               'sim-' || i || '-yes', 'Yes', 'sim-' || i || '-no', 'No', 0.01, 5, 0.04, i % 7 = 0,
               {now_ms} + (i + 1) * 3600000, 1000 + (i * 7919) % 900000, 500 + (i * 104729) % 50000
        FROM range({markets}) t(i)""")
    # Ticks spread over the last 24 h across every token; mids wander around 0.5.
    con.execute(f"""
        INSERT INTO ticks (token_id, ts_ms, best_bid, best_ask, bid_size, ask_size, last_trade_price, last_trade_size)
        SELECT 'sim-' || (i % {markets}) || CASE WHEN (i // {markets}) % 2 = 0 THEN '-yes' ELSE '-no' END,
               {now_ms} - {DAY_MS} + (i * {DAY_MS // ticks}),
               round(0.40 + 0.1 * sin(i / 5000.0) + 0.01 * (i % 7), 2) AS bid, round(0.42 + 0.1 * sin(i / 5000.0)
               + 0.01 * (i % 7), 2), 100 + i % 400, 100 + i % 300, NULL, NULL
        FROM range({ticks}) t(i)""")
    con.execute("""
        INSERT INTO bars_1m (token_id, minute_ts_ms, open, high, low, close, ticks)
        SELECT token_id, ts_ms - ts_ms % 60000 AS minute, arg_min((best_bid + best_ask) / 2, ts_ms),
               max((best_bid + best_ask) / 2), min((best_bid + best_ask) / 2), arg_max((best_bid + best_ask) / 2, ts_ms),
               count(*)
        FROM ticks GROUP BY token_id, minute""")
    span = 30 * DAY_MS  # trades over the last month
    con.execute(f"""
        INSERT INTO trades (trade_id, market_id, token_id, strategy, shares, entry_price, exit_price, cost_usd,
                            proceeds_usd, pnl_usd, fees_usd, opened_ts_ms, closed_ts_ms, entry_reason, exit_reason)
        SELECT 'tr-' || i, 'sim-' || (i % {markets}), 'sim-' || (i % {markets}) || CASE WHEN i % 2 = 0 THEN '-yes' ELSE '-no' END,
               CASE WHEN i % 5 = 0 THEN 'mean_reversion' ELSE 'spike_hunter' END, 6.25, 0.48, 0.48 + ((i % 9) - 4) / 100.0,
               3.00, 3.00 + 6.25 * ((i % 9) - 4) / 100.0, 6.25 * ((i % 9) - 4) / 100.0 - 0.05, 0.05,
               {now_ms} - {span} + i * {span // trades} - 60000, {now_ms} - {span} + i * {span // trades},
               'Bought Yes at 48¢ because Yes dropped 5.1¢ in 60 s, CUSUM 0.041 > 0.030',
               'Sold Yes at 50¢: take profit (+2¢)'
        FROM range({trades}) t(i)""")
    for leg, (side, offset, purpose) in enumerate((("BUY", 60000, "entry"), ("SELL", 0, "exit"))):
        con.execute(f"""
            INSERT INTO orders (client_order_id, strategy, market_id, token_id, side, shares, limit_price, order_type,
                                purpose, reason, intent_ts_ms, intent_key, ts_ms, status, filled_shares, status_reason,
                                updated_ts_ms)
            SELECT 'o-' || substr(trade_id, 4) || '-{leg}', strategy, market_id, token_id, '{side}', shares,
                   entry_price, 'FAK', '{purpose}',
                   entry_reason, closed_ts_ms - {offset}, 'k-' || trade_id || '-{leg}', closed_ts_ms - {offset}, 'filled', shares,
                   'filled', closed_ts_ms - {offset}
            FROM trades""")
        con.execute(f"""
            INSERT INTO fills (fill_id, client_order_id, strategy, market_id, token_id, side, price, shares, fee_usd,
                               shares_received, cash_delta, is_maker, purpose, ts_ms)
            SELECT 'f-' || trade_id || '-{leg}', 'o-' || substr(trade_id, 4) || '-{leg}', strategy, market_id, token_id,
                   '{side}', entry_price, shares, 0.025, {'shares' if side == 'BUY' else '-shares'},
                   {'-cost_usd' if side == 'BUY' else 'proceeds_usd'}, false, '{purpose}', closed_ts_ms - {offset}
            FROM trades""")
    con.execute(f"""
        INSERT INTO signals (signal_id, ts_ms, strategy, market_id, token_id, direction, price, move, decision, reason,
                             layers_json)
        SELECT 'sig-' || i, {now_ms} - {span} + i * {span // 150_000}, 'spike_hunter', 'sim-' || (i % {markets}),
               'sim-' || (i % {markets}) || '-yes', CASE WHEN i % 2 = 0 THEN 'up' ELSE 'down' END, 0.5, 0.05,
               CASE WHEN i % 3 = 0 THEN 'traded' WHEN i % 3 = 1 THEN 'refused' ELSE 'layers_disagree' END,
               'Spotted a spike (Yes jumped 5.0¢ in 60 s, CUSUM 0.041 > 0.030)',
               '[{{"name": "cusum", "value": 0.041, "threshold": 0.03, "passed": true}}, '
               || '{{"name": "liquidity", "value": 340.0, "threshold": 50.0, "passed": true}}]'
        FROM range(150000) t(i)""")
    con.execute(f"""
        INSERT INTO equity (ts_ms, cash_usd, positions_value_usd, equity_usd)
        SELECT {now_ms} - {span} + i * {span // 100_000}, 70 + sin(i / 900.0), 3, 73 + sin(i / 900.0)
        FROM range(100000) t(i)""")
    con.execute(f"""
        INSERT INTO journal (ts_ms, kind, text, ref)
        SELECT {now_ms} - {span} + i * {span // 50_000}, 'fill', 'Bought 6.25 Yes at 0.48', 'f-' || i FROM range(50000) t(i)""")
    written = store.export_snapshots(data_dir / "snapshots", now_ms)
    store.close()
    return written


def sim_state(data_dir: Path, workdir: Path) -> None:
    """A real state.json: the bot on the simulator with 200 markets for a few seconds."""
    from ruamel.yaml import YAML

    from bot.config.loader import DEFAULT_CONFIG_PATH

    yaml = YAML()
    config = yaml.load(DEFAULT_CONFIG_PATH.read_text())
    config["sim"]["markets"] = 200
    path = workdir / "config.yaml"
    with path.open("w") as handle:
        yaml.dump(config, handle)
    sim_dir = workdir / "sim"
    subprocess.run([sys.executable, "-m", "bot", "run", "--source", "sim", "--speed", "0", "--duration", "6",
                    "--config", str(path), "--data-dir", str(sim_dir)], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    state = json.loads((sim_dir / "state.json").read_text())
    state["status"] = "running"
    state["written_ts_ms"] = time.time_ns() // 1_000_000 + 3_600_000  # stays "fresh" for the whole run
    (data_dir / "state.json").write_text(json.dumps(state))
    (data_dir / "logs").mkdir(exist_ok=True)
    (data_dir / "logs" / "bot.log").write_text((sim_dir / "logs" / "bot.log").read_text() * 2000)


def render_times(repeats: int) -> dict[str, dict[str, float]]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    out: dict[str, dict[str, float]] = {}
    for name, page in PAGES.items():
        cold, warm = [], []
        for i in range(repeats + 1):
            st.cache_data.clear()
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300).run()
            if page:
                at.switch_page(page)
            started = time.perf_counter()
            st.cache_data.clear()
            at.run()
            cold.append(time.perf_counter() - started)
            started = time.perf_counter()
            at.run()
            warm.append(time.perf_counter() - started)
            if at.exception:
                raise SystemExit(f"{name} raised: {[e.value for e in at.exception]}")
            if i == 0:  # the very first run also imports modules: not what a user waits for
                cold, warm = [], []
        out[name] = {"cold_s": statistics.median(cold), "warm_s": statistics.median(warm), "max_cold_s": max(cold)}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=1_000_000)
    parser.add_argument("--trades", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="polybot-bench-dash-") as tmp:
        workdir = Path(tmp)
        data_dir = workdir / "data"
        data_dir.mkdir()
        started = time.perf_counter()
        sim_state(data_dir, workdir)
        now_ms = json.loads((data_dir / "state.json").read_text())["market_ts_ms"]
        written = build_store(data_dir, now_ms, args.ticks, args.trades)
        built_s = time.perf_counter() - started
        os.environ["POLYBOT_DATA_DIR"] = str(data_dir)
        os.environ["POLYBOT_CONFIG"] = str(workdir / "config.yaml")
        os.environ["DASHBOARD_PASSWORD"] = ""
        times = render_times(args.repeats)
    result = {"ticks": args.ticks, "trades": args.trades, "snapshot_rows": written, "build_s": round(built_s, 1),
              "pages": {k: {m: round(v, 3) for m, v in t.items()} for k, t in times.items()}}
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"Store: {args.ticks:,} ticks, {args.trades:,} trades; snapshot rows: "
          + ", ".join(f"{k} {v:,}" for k, v in written.items()) + f" (built in {built_s:.0f} s)")
    print(f"{'page':<15}{'cold (caches cleared)':>24}{'warm':>10}   target < 1 s")
    for name, t in times.items():
        flag = "ok" if t["cold_s"] < 1 else "SLOW"
        print(f"{name:<15}{t['cold_s'] * 1000:>20.0f} ms{t['warm_s'] * 1000:>7.0f} ms   {flag}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
