"""Signals and anomalies page: every signal with its detector layers and whether it was traded or
refused and why; the risk manager's refusals; anomalies across the watched markets (spikes not
traded, volume surges, data-quality faults). Filters by strategy, decision and market."""

from __future__ import annotations

import streamlit as st

from pages._auth import require_password
from pages._shared import banner, load_state, md, table, tz
from ui import signals as ui_signals
from ui import text

require_password()  # also here: a page must never render on its own without the gate
st.title("Signals and anomalies")

state = load_state()
banner(state)
markets = table("markets")
questions = dict(zip(markets["market_id"].astype(str), markets["question"].fillna(""), strict=True))
token_names = {**{str(t): f"{q} ({o})" for t, q, o in zip(markets["token_id_a"], markets["question"], markets["outcome_a"],
                                                        strict=True)},
               **{str(t): f"{q} ({o})" for t, q, o in zip(markets["token_id_b"], markets["question"], markets["outcome_b"],
                                                        strict=True)}}
signals = table("signals")

signals_tab, refused_tab, anomalies_tab = st.tabs(["Signals", "Refused trades", "Anomalies"])

with signals_tab:
    c1, c2, c3 = st.columns([2, 2, 3])
    strategies = c1.multiselect("Strategy", sorted(signals["strategy"].dropna().astype(str).unique()),
                                placeholder="All strategies", key="sig_strategy")
    decisions = c2.multiselect("Decision", list(ui_signals.DECISIONS), format_func=ui_signals.decision_label,
                               placeholder="Any decision", key="sig_decision")
    search = c3.text_input("Market contains", key="sig_search")
    kept = ui_signals.filter_signals(signals, strategies, decisions, search, questions)
    traded = int((kept["decision"] == "traded").sum()) if not kept.empty else 0
    st.caption(f"{text.plural(len(kept), 'signal')} ({traded} traded)"
               + (f", newest {ui_signals.MAX_ROWS} shown" if len(kept) > ui_signals.MAX_ROWS else "")
               + ". Each layer shows its value against its threshold: ✓ passed, ✗ did not.")
    if not kept.empty:
        st.dataframe(ui_signals.signals_frame(kept, questions, tz()), hide_index=True)
        st.download_button("Download these signals (CSV)", data=lambda: kept.to_csv(index=False),
                           file_name="polybot-signals.csv", mime="text/csv", on_click="ignore", key="signals_csv")

with refused_tab:
    refusals = table("risk_decisions")
    st.caption(f"{text.plural(len(refusals), 'trade')} refused by the safety checks (newest first).")
    if not refusals.empty:
        st.dataframe(ui_signals.refusals_frame(refusals, questions, tz()), hide_index=True)

with anomalies_tab:
    st.subheader("Data-quality faults")
    faults = ui_signals.data_faults(state)
    if faults:
        for fault in faults:
            st.warning(md(fault))
    else:
        st.success("No data-quality faults: every update the bot received was usable.")
    st.subheader("Spikes not traded")
    missed = ui_signals.untraded_spikes(signals, questions)
    if missed.empty:
        st.caption("Every spike the bot saw was traded (or it has seen none yet).")
    else:
        st.dataframe(missed, hide_index=True)
    st.subheader("Volume surges")
    surges = ui_signals.volume_surges(table("bars_1m"), token_names)
    if surges.empty:
        st.caption("No market is updating much faster than usual right now.")
    else:
        st.dataframe(surges, hide_index=True)
