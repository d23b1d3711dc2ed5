"""Trades page: open positions (live, from state.json) and the closed-trade history (snapshots),
newest first, with the bot's reasons and a CSV download."""

from __future__ import annotations

import streamlit as st

from pages._shared import REFRESH_S, banner, load_state, md, now_ms, table, tz
from ui import tables

st.title("Trades")


@st.fragment(run_every=REFRESH_S)
def open_positions() -> None:
    state = load_state()
    banner(state)  # history below still shows what the bot saved last time
    st.subheader("Open positions")
    positions = (state or {}).get("positions", [])
    if positions:
        st.dataframe(tables.positions_frame(positions, now_ms()), hide_index=True)
    else:
        st.caption("No open positions.")


@st.fragment(run_every=REFRESH_S)
def history() -> None:
    st.subheader("History")
    trades = table("trades")
    st.caption(md(tables.history_summary(trades)))
    if trades.empty:
        return
    st.dataframe(tables.history_frame(trades, tz()), hide_index=True)
    st.download_button("Download history (CSV)", data=tables.history_csv(trades),
                       file_name="polybot-trades.csv", mime="text/csv", key="history_csv")


open_positions()
history()
