"""P&L page: the headline numbers, the equity curve, drawdown against its limit, realised P&L per
day, per-strategy attribution and the fees paid. Reads state.json and the snapshots only."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import streamlit as st

from pages._auth import require_password
from pages._shared import banner, headline, load_state, md, table_arrow, tz
from ui import pnl, text

require_password()  # also here: a page must never render on its own without the gate
st.title("P&L")

state = load_state()
if banner(state):
    assert state is not None
    headline(state)

perf, capital, risk = ((state or {}).get(k, {}) for k in ("performance", "capital", "risk"))
equity = table_arrow("equity").select(["ts_ms", "equity_usd"])
ts = equity["ts_ms"].to_numpy()
values = pc.cast(equity["equity_usd"], pa.float64()).to_numpy()  # floats only for drawing
fills, trades = table_arrow("fills"), table_arrow("trades")

c1, c2, c3, c4 = st.columns(4)
c1.metric("Equity", text.money(capital.get("equity_usd")))
c1.caption(md(f"started with {text.money(capital.get('starting_usd'))}"))
c2.metric("Fees paid", text.money(perf.get("fees_total_usd") if state else pnl.fees_total(fills)))
c2.caption("taker fees on every buy and sell")
worst = float(pnl.drawdown_pct(values).max()) if len(values) else 0.0
c3.metric("Worst drawdown", f"{worst:.1f}%")
c3.caption(f"limit {risk.get('max_drawdown_pct', text.MISSING)}% stops new trades")
c4.metric("Now below peak", f"{float(perf.get('drawdown_pct') or 0.0):.1f}%")
c4.caption(md(f"peak equity {text.money(capital.get('peak_equity_usd'))}"))

st.subheader("Account value")
starting = text.to_float(capital.get("starting_usd"))
st.plotly_chart(pnl.equity_chart(ts, values, starting, tz()), key="equity_chart")
st.subheader("Drawdown")
st.plotly_chart(pnl.drawdown_chart(ts, values, text.to_float(risk.get("max_drawdown_pct")), tz()), key="drawdown_chart")

st.subheader("Realised P&L per day")
days = pnl.daily(trades, tz())
st.plotly_chart(pnl.daily_chart(days), key="daily_chart")

st.subheader("By strategy")
st.dataframe(pnl.attribution(trades, (state or {}).get("positions", []), fills), hide_index=True)
st.caption("Realised P&L is from closed trades; open P&L is what open positions would fetch at the best bid now. "
           "Fees include the buy fee of positions still open.")
