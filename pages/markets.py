"""Markets page: browse and search every scanned market, then one market's price history, order-book
depth, detector indicators and a manual paper-trade form (a command through the bot's risk checks
and paper executor). The chosen market is kept in the URL (?market=<id>) so a link opens it."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pyarrow.compute as pc
import streamlit as st

from bot.adapters.storage.commands import CommandError, CommandInbox
from pages._auth import require_password
from pages._shared import acted_at, banner, data_dir, load_state, md, refresh_s, table, table_arrow, tz
from ui import markets as ui_markets
from ui import text

require_password()  # also here: a page must never render on its own without the gate
st.title("Markets")


@st.cache_data(ttl=10, show_spinner=False)
def _last_close(dir_text: str) -> dict[str, float]:
    bars = table_arrow("bars_1m").select(["token_id", "minute_ts_ms", "close"]).to_pandas()
    if bars.empty:
        return {}
    last = bars.sort_values("minute_ts_ms", kind="stable").drop_duplicates("token_id", keep="last")
    return dict(zip(last["token_id"].astype(str), last["close"].astype(float), strict=True))


def _bars(token_id: str) -> pd.DataFrame:
    bars = table_arrow("bars_1m")
    return bars.filter(pc.equal(bars["token_id"], token_id)).to_pandas()


def _watched_row(state: dict[str, Any] | None, market_id: str) -> dict[str, Any] | None:
    for row in (state or {}).get("markets", []):
        if str(row.get("market_id")) == market_id:
            return row
    return None


state = load_state()
banner(state)
markets = table("markets")
if markets.empty:
    st.caption("No markets scanned yet — the bot lists them as it loads.")
    st.stop()

watched = (state or {}).get("markets", [])
left, right = st.columns([3, 1])
search = left.text_input("Search markets", placeholder="e.g. bitcoin, election, NHL", key="market_search")
watched_only = right.toggle("Only markets I'm watching", key="watched_only")
browse = ui_markets.browse_frame(markets, watched, _last_close(str(data_dir())), search, watched_only, tz())
st.caption(f"{len(browse)} of {text.plural(len(markets), 'market')} shown, busiest (24 h volume) first.")
st.dataframe(browse.drop(columns=["market_id"]), hide_index=True, height=min(36 * len(browse) + 38, 420))

ids = browse["market_id"].tolist() or markets["market_id"].astype(str).tolist()
questions = dict(zip(markets["market_id"].astype(str), markets["question"].fillna(""), strict=True))
wanted = st.query_params.get("market")
if wanted not in ids:
    wanted = ids[0]


def _remember_market() -> None:
    st.query_params["market"] = st.session_state["market_pick"]


market_id = st.selectbox("Open a market", ids, index=ids.index(wanted), key="market_pick",
                         format_func=lambda mid: questions.get(mid) or mid, on_change=_remember_market)
st.query_params["market"] = market_id
market = markets[markets["market_id"].astype(str) == market_id].iloc[0].to_dict()

st.header(md(str(market.get("question") or market_id)))
facts = ui_markets.facts(market, tz())
for start in range(0, len(facts), 4):
    for col, (label, value) in zip(st.columns(4), facts[start:start + 4], strict=False):
        col.markdown(f"**{label}**  \n{md(value)}")

row = _watched_row(state, market_id)
chart_col, depth_col = st.columns([3, 2])
with chart_col:
    st.subheader("Price history")
    token_a = str(market.get("token_id_a"))
    st.plotly_chart(ui_markets.price_history(_bars(token_a), f"{market.get('outcome_a') or 'Yes'} price, last 24 h", tz()),
                    key="history_chart")
with depth_col:
    st.subheader("Order book depth")
    if row is None:
        st.caption("The bot publishes the order book of the markets it watches; this one is not watched.")
    else:
        st.plotly_chart(ui_markets.depth_chart(row.get("bids") or [], row.get("asks") or [],
                                               f"{row.get('outcome') or 'Yes'} book"), key="depth_chart")

st.subheader("What the spike detector sees")
if row is None:
    st.caption("Not watched, so no detector runs on it (see the filters on the Settings page).")
else:
    st.dataframe(pd.DataFrame(ui_markets.indicators(row), columns=["Indicator", "Value", "Meaning"]), hide_index=True)


# -- manual paper trade -------------------------------------------------------------------------
def _send_order(market_id: str, token_id: str, outcome: str) -> None:
    usd = st.session_state["manual_usd"]
    try:
        command_id = CommandInbox(data_dir()).submit(
            "manual_order", {"market_id": market_id, "token_id": token_id, "side": "BUY", "usd": f"{usd:.2f}"},
            source="dashboard")
    except CommandError as exc:
        st.session_state["manual_error"] = str(exc)
        return
    st.session_state.pop("manual_error", None)
    st.session_state.setdefault("manual_orders", []).insert(0, {"id": command_id, "what": f"buy ${usd:.2f} of {outcome}"})


st.subheader("Manual paper trade")
mode = str((state or {}).get("mode", "paper"))
if state is None:
    st.caption("Start the bot to place a paper trade.")
elif mode != "paper":
    st.warning("The bot is trading LIVE: manual orders from the dashboard are paper-only and are switched off.")
else:
    outcomes = {str(market.get("outcome_a") or "Yes"): str(market.get("token_id_a")),
                str(market.get("outcome_b") or "No"): str(market.get("token_id_b"))}
    with st.form("manual_order"):
        outcome = st.radio("Buy", list(outcomes), horizontal=True, key="manual_outcome")
        st.number_input("Dollars to spend", min_value=1.0, max_value=1000.0, value=2.0, step=0.5, format="%.2f",
                        key="manual_usd", help="Polymarket's minimum for an order that trades at once is $1.")
        st.caption("The order goes through the bot's risk checks and fills against the real order book "
                   "in paper mode (no money at risk). Manual positions are yours: only a close command sells them.")
        if st.form_submit_button("Place paper order"):
            _send_order(market_id, outcomes[outcome], outcome)


@st.fragment(run_every=refresh_s())
def order_results() -> None:
    if st.session_state.get("manual_error"):
        st.error(st.session_state["manual_error"])
    inbox = CommandInbox(data_dir())
    for order in st.session_state.get("manual_orders", [])[:5]:
        result = inbox.result(order["id"])
        if result is None:
            st.info(f"Sent: {order['what']} — waiting for the bot.")
            continue
        when = acted_at(order["id"])
        at = f" at {text.clock(when, tz())}" if when else ""
        say = md(str(result.get("result") or ""))
        (st.success if result.get("ok") else st.error)(f"{order['what']}: the bot answered{at} — {say}")


order_results()
