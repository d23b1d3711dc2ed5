"""Strategies page: every strategy under ``strategies:`` in config.yaml with an on/off toggle (saved
to the file at once; the bot hot-reloads strategies), its capital allocation and its results."""

from __future__ import annotations

import streamlit as st

from bot.config.schema import ConfigError
from pages import _config
from pages._auth import require_password
from pages._shared import banner, load_state, md, table_arrow
from ui import settings_form as sf
from ui import strategies as ui_strategies
from ui import text

require_password()  # also here: a page must never render on its own without the gate
st.title("Strategies")


def toggle(name: str) -> None:
    on = bool(st.session_state[f"strategy_on:{name}"])
    try:
        _config.save({("strategies", name, "enabled"): on})
    except ConfigError as exc:
        st.session_state["strategy_result"] = ("error", f"Not saved: {exc}")
        st.session_state[f"strategy_on:{name}"] = not on
        return
    st.session_state["strategy_result"] = ("success", f"{name} switched {'on' if on else 'off'}; "
                                                      "the bot applies it within a cycle.")


state = load_state()
banner(state)
try:
    tree = _config.load()[1]
except ConfigError as exc:
    st.error(f"The settings file cannot be read: {exc}")
    st.stop()
config = sf.plain(tree).get("strategies") or {}
result = st.session_state.pop("strategy_result", None)
if result:
    getattr(st, result[0])(md(result[1]))

cards = ui_strategies.cards(config, table_arrow("trades"), (state or {}).get("positions", []), table_arrow("fills"),
                           table_arrow("signals"), (state or {}).get("strategies_disabled") or {})
if not cards:
    st.caption("No strategies are configured under `strategies:` in the settings file.")
for card in cards:
    with st.container(border=True):
        head, switch = st.columns([4, 1])
        head.subheader(card.title)
        if card.enabled is not None:
            switch.toggle("On", value=card.enabled, key=f"strategy_on:{card.name}", on_change=toggle, args=(card.name,))
        elif card.name == ui_strategies.MANUAL:
            switch.caption("your own orders")
        head.caption(md(ui_strategies.allocation_sentence(card)))
        if (why := ui_strategies.disabled_sentence(card)) is not None:
            st.warning(md(why), icon="⛔")
        for col, (label, value) in zip(st.columns(len(card.metrics)), card.metrics, strict=True):
            col.metric(label, value)
        if card.params:
            with st.expander("Its settings (change them on the Settings page)"):
                st.dataframe([{"Setting": k.replace("_", " "), "Value": str(v)} for k, v in card.params.items()],
                             hide_index=True)
st.caption(f"{text.plural(sum(1 for c in cards if c.enabled), 'strategy', 'strategies')} switched on.")
