"""Control page: Pause, Resume, Stop new entries, Flatten all (after a confirmation) and Close one
position. Each button drops a command file in data/commands/ for the bot, which acts on it exactly
once; the page then shows when the bot acted and what it said."""

from __future__ import annotations

import streamlit as st

from bot.adapters.storage.commands import CommandInbox
from pages._auth import require_password
from pages._shared import acted_at, banner, data_dir, load_state, md, now_ms, refresh_s, tz
from ui import text

require_password()  # also here: a page must never render on its own without the gate
st.title("Control")

VERBS = {"pause": "pause trading", "resume": "resume trading", "stop_entry": "stop new entries",
         "flatten": "close every position", "close_position": "close the position"}


def send(kind: str, args: dict[str, str] | None = None, what: str = "") -> None:
    command_id = CommandInbox(data_dir()).submit(kind, args or {}, source="dashboard")
    sent = st.session_state.setdefault("sent_commands", [])
    sent.insert(0, {"id": command_id, "kind": kind, "what": what or VERBS.get(kind, kind), "ts_ms": now_ms()})
    st.session_state["confirm_flatten"] = False


@st.fragment(run_every=refresh_s())
def status() -> None:
    state = load_state()
    if not banner(state):
        return
    assert state is not None
    label = text.bot_status_label(state.get("status"))
    risk = state.get("risk", {})
    if state.get("status") == "paused":
        st.warning(f"**{label}** — no new trades until you press Resume; open trades keep their exits.")
    elif state.get("status") == "entries_stopped":
        st.warning(f"**{label}** — open trades are still managed and closed.")
    elif state.get("status") == "stopped":
        st.error(f"**{label}** — the bot process has shut down.")
    else:
        room = text.open_trades_sentence(int(risk.get("open_trades") or 0), int(risk.get("max_open_trades") or 0))
        st.success(f"**{label}** — {room}.")


@st.fragment(run_every=refresh_s())
def results() -> None:
    sent = st.session_state.get("sent_commands", [])
    if not sent:
        return
    st.subheader("What you asked for")
    inbox = CommandInbox(data_dir())
    for command in sent[:8]:
        result = inbox.result(command["id"])
        asked = f"At {text.clock(command['ts_ms'], tz())} you asked the bot to {command['what']}"
        if result is None:
            st.info(f"{asked} — waiting for the bot (it checks every cycle).")
            continue
        when = acted_at(command["id"])
        acted = f"; it acted at {text.clock(when, tz())}" if when else ""
        say = md(str(result.get("result") or "").strip())
        (st.success if result.get("ok") else st.error)(f"{asked}{acted}: {say}")


status()
st.subheader("Trading")
c1, c2, c3 = st.columns(3)
c1.button("⏸ Pause", key="pause", on_click=send, args=("pause",), width="stretch",
          help="No new trades; open trades keep their stops and targets.")
c2.button("▶ Resume", key="resume", on_click=send, args=("resume",), width="stretch",
          help="Allow new trades again (also clears a tripped circuit breaker and the kill switch).")
c3.button("✋ Stop new entries", key="stop_entry", on_click=send, args=("stop_entry",), width="stretch",
          help="Like pause, but meant to wind down: exits continue.")

state = load_state() or {}
positions = state.get("positions", [])
st.subheader("Positions")
if not positions:
    st.caption("No open positions to close.")
else:
    names = {p["token_id"]: f"{p.get('question') or p['token_id']} — {p.get('outcome', '')} "
                            f"({text.shares(p.get('shares'))} shares, {text.money(p.get('unrealised_usd'), signed=True)})"
             for p in positions}
    left, right = st.columns([3, 1])
    token = left.selectbox("Close one position", list(names), format_func=names.get, key="close_token")
    right.button("Close it", key="close_one", width="stretch", on_click=send,
                 args=("close_position", {"token_id": token}, f"close {names[token]}"))
    if not st.session_state.get("confirm_flatten"):
        st.button(f"🧹 Flatten all ({len(positions)})", key="flatten", on_click=st.session_state.__setitem__,
                  args=("confirm_flatten", True))
    else:
        st.warning(md(f"Sell all {text.plural(len(positions), 'open position')} at the best bid now? "
                      "This cannot be undone."))
        yes, no = st.columns(2)
        yes.button("Yes, flatten everything", key="flatten_yes", type="primary", on_click=send, args=("flatten",),
                   width="stretch")
        no.button("No, keep them", key="flatten_no", on_click=st.session_state.__setitem__,
                  args=("confirm_flatten", False), width="stretch")

results()

done = state.get("commands", {}).get("last_done", [])
if done:
    st.subheader("Recent commands the bot carried out")
    st.dataframe([{"": "✅" if c.get("ok") else "❌", "Command": c.get("command_id"), "Result": c.get("text")}
                  for c in done], hide_index=True)
