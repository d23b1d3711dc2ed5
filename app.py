"""Polybot dashboard entry point: page setup, the live sidebar (mode, heartbeat, status), navigation.

Run with `streamlit run app.py`. It only reads the bot's read model (data/state.json and
data/snapshots/*.parquet) and writes command files; see docs/READ_MODEL.md.
"""

from __future__ import annotations

import streamlit as st

from pages._shared import REFRESH_S, STALE_AFTER_S, age_s, load_state
from ui import text

st.set_page_config(page_title="Polybot", page_icon="📈", layout="wide")


@st.fragment(run_every=REFRESH_S)
def bot_status() -> None:
    """Mode badge, heartbeat and status; a stale heartbeat replaces the "updated" line."""
    state = load_state()
    if state is None:
        st.info(text.NOT_RUNNING)
        return
    mode = str(state.get("mode", "paper"))
    st.badge(mode.upper(), color="red" if mode == "live" else "green")
    age = age_s(state)
    if age > STALE_AFTER_S:
        st.warning(text.stale_warning(age), icon="⚠️")
    else:
        st.caption(f"Bot {text.heartbeat_text(age)}")
    st.markdown(f"**Status:** {text.bot_status_label(state.get('status'))}")
    st.caption(f"Prices from: {state.get('source', text.MISSING)}")


with st.sidebar:
    bot_status()

st.navigation([
    st.Page("pages/overview.py", title="Overview", icon="📊", default=True),
    st.Page("pages/trades.py", title="Trades", icon="💵"),
    st.Page("pages/safety.py", title="Safety", icon="🛡️"),
]).run()
