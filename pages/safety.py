"""Safety page: daily-loss and drawdown gauges, circuit breaker, cooldowns and spike-detector gauges.
The buttons that steer the bot live on the Control page."""

from __future__ import annotations

import streamlit as st

from pages._auth import require_password
from pages._shared import banner, load_state, md, refresh_s, tz
from ui import charts, tables, text

require_password()  # also here: a page must never render on its own without the gate
st.title("Safety")


def _clamp(fraction: float) -> float:
    return min(max(fraction, 0.0), 1.0)


@st.fragment(run_every=refresh_s())
def gauges() -> None:
    state = load_state()
    if not banner(state):
        return
    assert state is not None
    risk = state.get("risk", {})
    if risk.get("kill_switch"):
        st.error("Kill switch is ON — the bot will not trade.")
    if risk.get("paused"):
        st.warning("Trading is paused — no new trades until you press Resume.")
    elif risk.get("entries_stopped"):
        st.warning("New entries are stopped — open trades are still managed and closed.")
    else:
        st.success("Trading is on — new trades are allowed within the limits below.")

    used_pct = float(risk.get("daily_loss_used_pct") or 0.0)
    st.subheader("Daily loss")
    st.progress(_clamp(used_pct / 100), text=md(text.daily_loss_sentence(
        risk.get("daily_loss_usd"), risk.get("daily_loss_limit_usd"), used_pct)))

    drawdown = float(risk.get("drawdown_pct") or 0.0)
    max_drawdown = float(risk.get("max_drawdown_pct") or 0.0)
    st.subheader("Drawdown")
    st.progress(_clamp(drawdown / max_drawdown) if max_drawdown else 0.0,
                text=text.drawdown_sentence(drawdown, max_drawdown))

    st.subheader("Circuit breaker")
    breaker = risk.get("breaker", {})
    (st.error if breaker.get("tripped") else st.success)(text.breaker_sentence(breaker, tz()))

    st.subheader("Cooldowns")
    cooldowns = risk.get("cooldowns", [])
    if cooldowns:
        st.dataframe(tables.cooldowns_frame(cooldowns), hide_index=True)
    else:
        st.caption("No market is cooling down.")

    st.subheader("Spike detector: closest to firing")
    top = tables.closest_to_spike(state.get("markets", []), 4)
    if not top:
        st.caption("No markets yet.")
    for col, m in zip(st.columns(max(len(top), 1)), top, strict=False):
        value = max(abs(text.to_float(m.get(k)) or 0.0) for k in ("cusum_pos", "cusum_neg"))
        question = str(m.get("question", ""))
        title = question if len(question) <= 40 else question[:39] + "…"
        col.plotly_chart(charts.cusum_gauge(value, text.to_float(m.get("cusum_threshold")) or 0.0, title),
                         key=f"gauge_{m.get('token_id')}")


gauges()
st.page_link("pages/control.py", label="Pause, resume or close positions on the Control page", icon="🎛️")
