"""Backtest page: start a run (strategy, data, parameters, time window) with a live progress bar, read
a stored run's report, equity curve and trades, and compare runs side by side.

The run itself is ``python -m bot backtest`` in its own process (pages/_backtests.py); this page
only writes its command line and reads the files it leaves under ``<data>/backtests/``.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from bot.config.schema import ConfigError
from pages import _backtests as jobs
from pages import _config
from pages._auth import require_password
from pages._shared import data_dir, md, now_ms, tz
from ui import backtest as bt
from ui import settings_form as sf

require_password()  # also here: a page must never render on its own without the gate
st.title("Backtest")
st.caption("Try a strategy on recorded or simulated prices with the very engine, risk rules and paper fills "
           "the bot trades with. A run works in its own process: the bot and this page carry on meanwhile.")

SOURCES = {"sim": "The simulator", "recording": "A recording in the data folder", "path": "Another file or folder"}


# -- the current job ------------------------------------------------------------------------------

def job_panel() -> None:
    job = jobs.latest_job()
    if job is None or job.dismissed:
        return
    view = bt.job_view(job.progress(), job.alive(), job.what, now_ms(), job.log_tail())
    watching = st.session_state.get("bt_watching")
    if view.status != "running" and watching == job.job_id:
        st.session_state.pop("bt_watching")
        st.session_state["bt_show"] = (job.progress() or {}).get("run_id")
        st.rerun()  # the whole page: the finished run joins the list below
    if view.status == "running":
        st.session_state["bt_watching"] = job.job_id
        bar, button = st.columns([5, 1])
        bar.progress(view.fraction, text=md(view.line))
        button.button("Stop", key="bt_stop", on_click=jobs.stop, args=(job,), help="Stop this backtest; nothing is stored.")
    elif view.status == "done":
        st.success(md(view.line))
        jobs.dismiss(job)  # said once; the run is in the list from now on
    else:
        line = "You stopped the backtest; nothing was stored." if job.stopped_by_user else view.line
        (st.info if job.stopped_by_user else st.error)(md(line))
        st.button("Dismiss", key="bt_dismiss", on_click=jobs.dismiss, args=(job,))


running = jobs.running_job() is not None
st.fragment(run_every=1.0 if running else None)(job_panel)()


# -- the start form ---------------------------------------------------------------------------------

def start_clicked(config_path: Path, settings_json: dict, block: dict) -> None:
    s = st.session_state
    strategy = s["bt_strategy"]
    try:
        entered = {name: s[f"bt_p:{strategy}:{name}"] for name in bt.numeric_params(block)
                   if f"bt_p:{strategy}:{name}" in s}
        params = {**bt.changed_params(block, entered), **bt.parse_overrides(s.get("bt_overrides", ""))}
        bt.check_params(settings_json, strategy, params)
        source = s["bt_source"]
        data = (bt.SIM if source == "sim" else s.get("bt_recording") or "" if source == "recording"
                else s.get("bt_path", ""))
        form = bt.BacktestForm(strategy, data, params, int(s.get("bt_cycles") or bt.SIM_CYCLES_DEFAULT),
                               s.get("bt_from", ""), s.get("bt_to", ""))
        args = bt.cli_args(form)
        what = f"{strategy} on {'the simulator' if data == bt.SIM else Path(data).name}"
        job = jobs.start(args, what, config_path)
    except (ConfigError, jobs.JobRunning) as exc:
        s["bt_error"] = f"Not started: {bt.as_list(str(exc))}"
        return
    s["bt_watching"] = job.job_id


try:
    _text, tree, _fields = _config.load()
    settings = _config.check(tree)
except ConfigError as exc:
    st.error(md(f"The settings file cannot be read, so no backtest can start: {exc}"))
    settings = None
    tree = None

with st.container(border=True):
    st.markdown("**Start a backtest**")
    if settings is None:
        st.caption("Fix the settings file first (Settings page).")
    else:
        config_strategies = sf.plain(tree).get("strategies") or {}
        names = list(type(settings.strategies).model_fields)
        left, right = st.columns(2)
        strategy = left.selectbox("Strategy", names, key="bt_strategy",
                                  format_func=lambda n: n.replace("_", " ").capitalize())
        source = right.radio("Prices from", list(SOURCES), format_func=SOURCES.__getitem__, key="bt_source",
                             horizontal=True)
        if source == "sim":
            right.number_input("Seconds of market time to simulate", min_value=60, max_value=2_000_000,
                               value=bt.SIM_CYCLES_DEFAULT, step=600, key="bt_cycles",
                               help="One cycle is one second of market time (3,600 = one hour).")
        elif source == "recording":
            found = jobs.recordings()
            if found:
                right.selectbox("Recording", [str(p) for p in found], key="bt_recording",
                                format_func=lambda p: str(Path(p).relative_to(data_dir()))
                                if Path(p).is_relative_to(data_dir()) else p)
            else:
                right.caption(md("No recordings in the data folder yet. Make one with `python -m bot record`, "
                                 "turn on `runtime.record`, or import a tick file with `python -m bot import`."))
        else:
            right.text_input("Recording folder or ticks file", key="bt_path", placeholder="/data/my-recording")
        block = dict(config_strategies.get(strategy) or {})
        numbers = bt.numeric_params(block)
        with st.expander(f"Parameters ({len(numbers)} numbers from the settings file; change any for this run only)"):
            cols = st.columns(3)
            for i, (name, value) in enumerate(numbers.items()):
                cols[i % 3].number_input(name.replace("_", " "), value=value, key=f"bt_p:{strategy}:{name}",
                                         step=1 if isinstance(value, int) else None,
                                         format=None if isinstance(value, int) else "%g")
            st.text_input("Other settings for this run", key="bt_overrides", placeholder="direction=follow",
                          help="name=value pairs separated by commas, checked like the settings file "
                               "(a misspelt name gets a did-you-mean).")
        c1, c2 = st.columns(2)
        c1.text_input("From (optional, UTC)", key="bt_from", placeholder="2026-06-07T01:40 or epoch ms")
        c2.text_input("To (optional, UTC)", key="bt_to", placeholder="2026-06-07T03:00 or epoch ms")
        st.button("Start backtest", type="primary", key="bt_start", disabled=running,
                  on_click=start_clicked, args=(_config.config_path(), settings.model_dump(mode="json"), block),
                  help="A backtest is running; wait for it or stop it." if running else None)
        if error := st.session_state.pop("bt_error", None):
            st.error(md(error))


# -- stored runs --------------------------------------------------------------------------------------

runs = jobs.list_runs()
if not runs:
    st.info(md("No backtests yet. Start one above, or from a terminal: "
               "`python -m bot backtest --strategy spike_hunter --sim`. Finished runs are kept in "
               f"`{jobs.runs_root()}` and listed here."))
    st.stop()

by_id = {r["id"]: r for r in runs}
ids = list(by_id)
show = st.session_state.pop("bt_show", None)
if show in by_id:
    st.session_state["bt_run"] = show
elif st.session_state.get("bt_run") not in by_id:
    st.session_state.pop("bt_run", None)

st.subheader("Results")
run_id = st.selectbox(f"Run ({len(runs)} stored, newest first)", ids, key="bt_run",
                      format_func=lambda i: bt.run_label(by_id[i]))
report = by_id[run_id]
equity, trades = jobs.load_run(run_id)
st.markdown(md(bt.summary(report)))
if report.get("params"):
    st.caption(md(f"Parameters changed for this run: `{bt.params_text(report['params'])}`"))
cards = bt.metric_cards(report, bt.wins(trades))
for row in (cards[:5], cards[5:]):
    for col, (label, value, caption) in zip(st.columns(5), row, strict=True):
        col.metric(label, value)
        col.caption(md(caption))
st.plotly_chart(bt.equity_chart(equity, bt.starting_usd(equity), tz()), key="bt_equity")
st.markdown(f"**Closed trades** ({len(trades)})")
if trades:
    st.dataframe(bt.trades_frame(trades, tz()), hide_index=True)
else:
    st.caption("This run closed no trades.")

st.subheader("Compare runs")
picked = st.multiselect("Runs to put side by side", ids, key="bt_compare", format_func=lambda i: bt.run_label(by_id[i]),
                        placeholder="Pick two or more runs")
if len(picked) < 2:
    st.caption("Pick two or more runs to see their numbers next to each other and their P&L on one chart.")
else:
    chosen = [by_id[i] for i in picked]
    st.markdown(md(bt.best_run(chosen)))
    st.dataframe(bt.comparison(chosen), hide_index=True)
    curves = []
    for i, r in enumerate(chosen):
        points = jobs.load_run(r["id"])[0]
        curves.append((f"#{i + 1} {bt.run_label(r)}", points, bt.starting_usd(points)))
    st.plotly_chart(bt.overlay_chart(curves), key="bt_overlay")
