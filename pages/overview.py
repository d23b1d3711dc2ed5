"""Overview page: today's performance in plain English, watched markets, the selected market's
chart (price, bands, trades, CUSUM) and recent trades. Refreshes every couple of seconds."""

from __future__ import annotations

import streamlit as st

from pages._auth import require_password
from pages._shared import banner, load_state, md, refresh_s, tz
from ui import charts, tables, text

require_password()  # also here: a page must never render on its own without the gate
st.title("Overview")


@st.fragment(run_every=refresh_s())
def live() -> None:
    state = load_state()
    if not banner(state):
        return
    assert state is not None
    perf, risk, capital = state.get("performance", {}), state.get("risk", {}), state.get("capital", {})

    st.subheader("Today's performance")
    today, total = perf.get("today_pnl_usd"), perf.get("total_pnl_usd")
    wins, trades = int(perf.get("wins_today") or 0), int(perf.get("trades_today") or 0)
    open_now, max_open = int(risk.get("open_trades") or 0), int(risk.get("max_open_trades") or 0)
    cols = st.columns(5)
    cols[0].metric("Today's P&L", text.money(today, signed=True))
    cols[0].caption(md(text.pnl_sentence(today)))
    cols[1].metric("Win rate today", text.win_rate(wins, trades))
    cols[1].caption(text.win_sentence(wins, trades))
    cols[2].metric("Open trades", f"{open_now} of {max_open}")
    cols[2].caption(text.open_trades_sentence(open_now, max_open))
    cols[3].metric("Total P&L", text.money(total, signed=True))
    closed = int(perf.get("trades_total") or 0)
    cols[3].caption(md(f"{text.pnl_sentence(total, 'since the start')} ({text.plural(closed, 'closed trade')})"))
    cols[4].metric("Equity", text.money(capital.get("equity_usd")))
    cols[4].caption(md(f"started with {text.money(capital.get('starting_usd'))}"))

    st.subheader("Markets I'm watching")
    markets = state.get("markets", [])
    if markets:
        st.dataframe(tables.markets_frame(markets), hide_index=True, height=min(36 * len(markets) + 38, 400))
    else:
        st.caption("No markets yet — the bot is still loading them.")

    selected = state.get("selected") or {}
    if selected.get("series"):
        st.subheader(md(f"Chart: {selected.get('question', '')}"))
        fig = charts.price_with_bands(selected["series"], selected.get("markers", []),
                                      selected.get("cusum_threshold"), tz=tz())
        fig.update_layout(uirevision=selected.get("market_id"))  # new market: reset zoom
        st.plotly_chart(fig, key="price_chart")

    st.subheader("Recent trades")
    recent = state.get("recent_trades", [])
    if recent:
        st.dataframe(tables.recent_trades_frame(recent, tz()), hide_index=True)
    else:
        st.caption("No closed trades yet.")


live()

with st.expander("How to read this chart"):
    st.markdown(
        "- **Black line**: the market's price in cents (what one share of the outcome costs).\n"
        "- **Dotted grey line**: the recent average (an exponentially weighted mean).\n"
        "- **Shaded band**: the normal range around that average. A price outside it is unusual.\n"
        "- **▲ green / ▼ red markers**: where the bot bought or sold; hover for its reason.\n"
        "- **Lower panel (CUSUM)**: how much unusual movement has built up, upwards (green) or "
        "downwards (red). When a line crosses the dashed threshold, the bot calls it a spike."
    )
