"""Trades page: the headline numbers, then tabs Open positions (live, from state.json) and History
(closed round trips from the snapshots), filtered by strategy, side, market and date range. The
filter and the page number live in the URL; the CSV export holds exactly the filtered history."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from pages._auth import require_password
from pages._shared import banner, headline, load_state, md, now_ms, refresh_s, table_arrow, tz
from ui import tables, text
from ui import trade_filters as tf

require_password()  # also here: a page must never render on its own without the gate
st.title("Trades")

KEYS = {"strategy": "f_strategy", "side": "f_side", "market": "f_market", "dates": "f_dates", "page": "f_page"}
ALL_MARKETS = ""


def _from_widgets(page: int = 1) -> tf.TradeFilter:
    s = st.session_state
    dates = s.get(KEYS["dates"]) or ()
    start = dates[0] if len(dates) > 0 else None
    end = dates[1] if len(dates) > 1 else start
    return tf.TradeFilter(tuple(s.get(KEYS["strategy"]) or ()), tuple(s.get(KEYS["side"]) or ()),
                          s.get(KEYS["market"]) or "", start, end, page)


def _to_url(page: int = 1) -> None:
    st.query_params.from_dict(_from_widgets(page).to_query())


def _page_to_url() -> None:
    _to_url(int(st.session_state[KEYS["page"]]))


trades = table_arrow("trades")
state = load_state()
url_filter = tf.TradeFilter.from_query(st.query_params.to_dict())
if "f_loaded" not in st.session_state:  # first visit in this session: the URL decides
    st.session_state.update({
        "f_loaded": True, KEYS["strategy"]: list(url_filter.strategies), KEYS["side"]: list(url_filter.sides),
        KEYS["market"]: url_filter.market_id,
        KEYS["dates"]: tuple(d for d in (url_filter.start, url_filter.end) if d is not None),
        KEYS["page"]: url_filter.page,
    })

if banner(state):
    assert state is not None
    headline(state)

positions = pd.DataFrame((state or {}).get("positions", []))
pool = pd.concat([trades.select(["strategy", "outcome", "market_id", "question"]).to_pandas(),
                  positions[["strategy", "outcome", "market_id", "question"]] if not positions.empty else None])
questions = dict(zip(pool["market_id"].astype(str), pool["question"].fillna(""), strict=False)) if not pool.empty else {}

c1, c2, c3, c4 = st.columns([2, 1, 3, 2])
strategies = sorted(set(tf.options(pool, "strategy")) | set(st.session_state[KEYS["strategy"]]))
sides = sorted(set(tf.options(pool, "outcome")) | set(st.session_state[KEYS["side"]]))
markets = [ALL_MARKETS, *sorted(questions, key=lambda m: questions[m])]
if st.session_state[KEYS["market"]] not in markets:
    markets.append(st.session_state[KEYS["market"]])
c1.multiselect("Strategy", strategies, key=KEYS["strategy"], on_change=_to_url, placeholder="All strategies")
c2.multiselect("Side", sides, key=KEYS["side"], on_change=_to_url, placeholder="Yes and No")
c3.selectbox("Market", markets, key=KEYS["market"], on_change=_to_url,
             format_func=lambda m: "All markets" if m == ALL_MARKETS else (questions.get(m) or m))
c4.date_input("Closed between", key=KEYS["dates"], on_change=_to_url, format="YYYY-MM-DD",
              min_value=date(2020, 1, 1))
current = _from_widgets(int(st.session_state[KEYS["page"]]))

open_tab, history_tab = st.tabs(["Open positions", "History"])


@st.fragment(run_every=refresh_s())
def open_positions() -> None:
    fresh = load_state() or {}
    live = pd.DataFrame(fresh.get("positions", []))
    clock_ms = int(fresh.get("market_ts_ms") or now_ms())  # positions open on the market's clock (sim, replay)
    shown = tf.apply(live, current, tz(), ts_column="opened_ts_ms") if not live.empty else live
    note = f" (filtered from {len(live)})" if current.active and len(shown) != len(live) else ""
    st.caption(f"{text.plural(len(shown), 'open position')}{note}")
    if not shown.empty:
        st.dataframe(tables.positions_frame(shown.to_dict("records"), clock_ms), hide_index=True)


with open_tab:
    open_positions()


@st.fragment(run_every=refresh_s())
def history() -> None:
    # Re-read on every refresh, like the open positions: a position that closes while the page is
    # open moves from that tab to this one without a reload. The page number is read here too,
    # since paging reruns only this fragment.
    closed = table_arrow("trades")
    shown = _from_widgets(int(st.session_state[KEYS["page"]]))
    filtered = tf.apply_arrow(closed, shown, tz())
    st.caption(md(tf.summary(filtered)) + (f" (filtered from {closed.num_rows:,})" if shown.active else ""))
    if filtered.num_rows:
        pages = tf.page_count(filtered.num_rows)
        page = min(shown.page, pages)
        first = (page - 1) * tf.PAGE_SIZE
        st.dataframe(tables.history_frame(filtered.slice(first, tf.PAGE_SIZE).to_pandas(), tz()), hide_index=True)
        left, right = st.columns([1, 3])
        if st.session_state[KEYS["page"]] > pages:
            st.session_state[KEYS["page"]] = pages
        left.number_input(f"Page (of {pages:,})", min_value=1, max_value=pages, step=1, key=KEYS["page"],
                          on_change=_page_to_url)
        right.caption(f"Showing {first + 1:,}–{min(first + tf.PAGE_SIZE, filtered.num_rows):,} of {filtered.num_rows:,}, "
                      "newest first.")
        st.download_button("Download these trades (CSV)", data=lambda: tables.history_csv(filtered.to_pandas()),
                           file_name="polybot-trades.csv", mime="text/csv", key="history_csv", on_click="ignore")


with history_tab:
    history()
