"""Polybot dashboard entry point: the password gate, the live sidebar (mode, heartbeat, status), navigation.

Run with `streamlit run app.py`. It only reads the bot's read model (data/state.json and
data/snapshots/*.parquet), writes command files and config/config.yaml; see docs/READ_MODEL.md.
"""

from __future__ import annotations

import streamlit as st

from pages._auth import require_password
from pages._shared import age_s, load_state, refresh_s, stale_after_s
from ui import text

st.set_page_config(page_title="Polybot", page_icon="📈", layout="wide")
require_password()  # before anything else is rendered


@st.fragment(run_every=refresh_s())
def bot_status() -> None:
    """Mode badge, heartbeat and status; a stale heartbeat replaces the "updated" line."""
    state = load_state()
    if state is None:
        st.info(text.NOT_RUNNING)
        return
    mode = str(state.get("mode", "paper"))
    st.badge(mode.upper(), color="red" if mode == "live" else "green")
    age = age_s(state)
    if age > stale_after_s():
        st.warning(text.stale_warning(age), icon="⚠️")
    else:
        st.caption(f"Bot {text.heartbeat_text(age)}")
    st.markdown(f"**Status:** {text.bot_status_label(state.get('status'))}")
    st.caption(f"Prices from: {state.get('source', text.MISSING)}")


with st.sidebar:
    bot_status()

st.navigation({
    "Watch": [
        st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
        st.Page("pages/markets.py", title="Markets", icon=":material/search:"),
        st.Page("pages/trades.py", title="Trades", icon=":material/receipt_long:"),
        st.Page("pages/signals.py", title="Signals", icon=":material/sensors:"),
        st.Page("pages/pnl.py", title="P&L", icon=":material/show_chart:", url_path="pnl"),
    ],
    "Steer": [
        st.Page("pages/control.py", title="Control", icon=":material/tune:"),
        st.Page("pages/safety.py", title="Safety", icon=":material/shield:"),
        st.Page("pages/strategies.py", title="Strategies", icon=":material/psychology:"),
        st.Page("pages/settings.py", title="Settings", icon=":material/settings:"),
    ],
    "Inspect": [
        st.Page("pages/health.py", title="Health", icon=":material/monitor_heart:"),
        st.Page("pages/data_explorer.py", title="Data explorer", icon=":material/storage:", url_path="data"),
    ],
    "Research": [
        st.Page("pages/backtest.py", title="Backtest", icon=":material/science:"),
    ],
}).run()
