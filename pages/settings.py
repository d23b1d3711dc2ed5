"""Settings page: every config.yaml setting, grouped as in the file, with the file's own comments as
help. Saving validates with the bot's loader (errors appear next to the field), keeps comments and
order, and replaces the file atomically; the bot hot-reloads the safe sections and the page marks
the settings that need a restart (:material/restart_alt:). Buttons send a test Telegram or Discord message."""

from __future__ import annotations

from typing import Any

import streamlit as st

from bot.config.loader import load_secrets
from bot.config.schema import HOT_RELOADABLE_SECTIONS, ConfigError
from pages import _config
from pages._auth import require_password
from pages._shared import load_state, md
from ui import settings_form as sf

require_password()  # also here: a page must never render on its own without the gate
st.title("Settings")
PREFIX = "cfg:"


def _decimals(step: float | None) -> int:
    text = f"{step:.10f}".rstrip("0") if step else ""
    return len(text.split(".")[1]) if "." in text else 0


def _clamp(value: float, field: sf.Field) -> float:
    if field.low is not None:
        value = max(value, field.low)
    if field.high is not None:
        value = min(value, field.high)
    return value


def widget(field: sf.Field) -> None:
    key = PREFIX + field.key
    label = field.label + (" :material/restart_alt:" if field.restart else "")
    help_text = (field.help or "No description in the file.") + (
        " Needs a restart of the bot." if field.restart else " Applies live, within a cycle of saving.")
    if field.kind == "bool":
        st.toggle(label, value=bool(field.value), key=key, help=help_text)
    elif field.kind == "choice":
        choices = list(field.choices)
        st.selectbox(label, choices, index=choices.index(field.value) if field.value in choices else 0, key=key,
                     help=help_text)
    elif field.kind == "int":
        value = int(_clamp(int(field.value or 0), field))
        low, high = (int(field.low) if field.low is not None else None), (int(field.high) if field.high is not None else None)
        if field.slider:
            st.slider(label, low, high, value, 1, key=key, help=help_text)
        else:
            st.number_input(label, min_value=low, max_value=high, value=value, step=1, key=key, help=help_text)
    elif field.kind in ("float", "decimal"):
        value = _clamp(float(field.value or 0), field)
        fmt = f"%.{max(_decimals(field.step), 2 if field.kind == 'decimal' else 1)}f"
        if field.slider:
            st.slider(label, float(field.low), float(field.high), value, float(field.step), key=key, help=help_text,
                      format=fmt)
        else:
            st.number_input(label, min_value=field.low, max_value=field.high, value=value, step=field.step, key=key,
                            help=help_text, format=fmt)
    elif field.kind == "readonly":
        st.text_input(label, value=str(field.value), key=key, disabled=True, help=help_text + " Edit this one in the file.")
    elif field.kind == "list":
        st.text_input(label, value=", ".join(str(v) for v in field.value or []), key=key,
                      help=help_text + " Separate entries with commas.")
    else:
        st.text_input(label, value="" if field.value is None else str(field.value), key=key, help=help_text)
    for error in sf.errors_for(st.session_state.get("cfg_errors", {}), field):
        st.error(f"{field.label}: {error}", icon="🚫")


def save(all_fields: list[sf.Field]) -> None:
    values = {f.key: st.session_state[PREFIX + f.key] for f in all_fields if PREFIX + f.key in st.session_state}
    changes = sf.changed(all_fields, values)
    if not changes:
        st.session_state["cfg_result"] = ("info", "Nothing changed.")
        st.session_state["cfg_errors"] = {}
        return
    try:
        _config.save(changes)
    except ConfigError as exc:
        st.session_state["cfg_errors"] = sf.field_errors(str(exc))
        st.session_state["cfg_result"] = ("error", "Not saved — the file is unchanged. Fix the fields marked 🚫.")
        return
    st.session_state["cfg_errors"] = {}
    listed = ", ".join(f"{'.'.join(path)} → {value}" for path, value in changes.items())
    live = all(path[0] in HOT_RELOADABLE_SECTIONS for path in changes)
    st.session_state["cfg_result"] = ("success", f"Saved {len(changes)} change(s): {listed}. " + (
        "The bot applies them within a cycle." if live else "Some need a restart of the bot (:material/restart_alt:) to take effect."))


def reload_from_file() -> None:
    for key in [k for k in st.session_state if str(k).startswith(PREFIX)]:
        del st.session_state[key]
    st.session_state.pop("cfg_errors", None)
    st.session_state.pop("cfg_result", None)


def pickup_status(path_mtime: float | None) -> None:
    """Whether the running bot has loaded the file as it is now on disk."""
    state = load_state()
    if state is None or state.get("status") == "stopped" or path_mtime is None or "config_mtime" not in state:
        return
    if state.get("config_error"):
        st.error(md("The bot refused the file's current contents and keeps its old settings:\n\n"
                    f"```\n{state['config_error']}\n```"))
    elif state.get("config_mtime") == path_mtime:
        st.caption("✅ The running bot has loaded this version of the file.")
    else:
        st.caption("⏳ The bot has not picked up the latest save yet (it checks the file every cycle).")


try:
    _text, _tree, fields = _config.load()
except ConfigError as exc:
    st.error(f"The settings file cannot be read: {exc}")
    st.stop()

path = _config.config_path()
try:
    mtime: float | None = path.stat().st_mtime
except OSError:
    mtime = None
st.caption(md(f"Editing `{path}`" + (f" (profile **{_config.profile()}** is layered on top when the bot "
                                      "starts; its values win)" if _config.profile() else "") +
              ". :material/restart_alt: marks settings that need a restart; the others apply live. Hover ⓘ for what each one does."))
pickup_status(mtime)

result = st.session_state.get("cfg_result")
if result:
    getattr(st, result[0])(md(result[1]))

grouped = sf.groups(fields)
with st.form("settings", border=False):
    for section, section_fields in grouped.items():
        needs_restart = any(f.restart for f in section_fields)
        title = section.replace("_", " ").capitalize() + (" :material/restart_alt:" if needs_restart else "")
        errors = sf.section_errors(st.session_state.get("cfg_errors", {}), section, {f.key for f in section_fields})
        with st.expander(title, expanded=bool(errors) or any(
                sf.errors_for(st.session_state.get("cfg_errors", {}), f) for f in section_fields)):
            for error in errors:
                st.error(error, icon="🚫")
            sub: dict[tuple[str, ...], list[sf.Field]] = {}
            for field in section_fields:
                sub.setdefault(field.path[1:-1], []).append(field)
            for block, block_fields in sub.items():
                if block:
                    st.markdown(f"**{' › '.join(block).replace('_', ' ')}**")
                cols = st.columns(2)
                for i, field in enumerate(block_fields):
                    with cols[i % 2]:
                        widget(field)
    st.form_submit_button("💾 Save settings", type="primary", on_click=save, args=(fields,))
st.button("Discard edits and reload from the file", on_click=reload_from_file, key="cfg_reload")


# -- notifications ------------------------------------------------------------------------------
def send_test(channel: str) -> None:
    try:
        from bot.adapters.notify import send_test as notify_test
    except ImportError as exc:
        st.session_state["notify_result"] = (False, f"Notifications are not available in this install ({exc}).")
        return
    try:
        settings = _config.check(_config.load()[1])
    except ConfigError as exc:
        st.session_state["notify_result"] = (False, f"Fix the settings first: {exc}")
        return
    st.session_state["notify_result"] = notify_test(channel, settings, load_secrets())


st.subheader("Test notifications")
st.caption("Sends one message now with the tokens from the environment or .env (never shown here).")
t1, t2 = st.columns(2)
t1.button("Send a test Telegram message", key="test_telegram", on_click=send_test, args=("telegram",), width="stretch")
t2.button("Send a test Discord message", key="test_discord", on_click=send_test, args=("discord",), width="stretch")
outcome: Any = st.session_state.get("notify_result")
if outcome:
    (st.success if outcome[0] else st.error)(md(str(outcome[1])))
