"""The password gate: when DASHBOARD_PASSWORD is set, nothing renders until the visitor types it.

app.py calls ``require_password()`` before the sidebar and navigation, so no page, page name or
number is sent to an unauthenticated browser. The password comes from the environment or .env
(``bot.config.loader.load_secrets``) and is compared in constant time; it is never displayed.
"""

from __future__ import annotations

import hmac
import time

import streamlit as st

from bot.config.loader import load_secrets

FAILED_LOGIN_DELAY_S = 1.0  # slows guessing down without bothering someone who mistyped once


def _matches(entered: str, expected: str) -> bool:
    return hmac.compare_digest(entered.encode("utf-8"), expected.encode("utf-8"))


def _sign_in() -> None:
    expected = load_secrets().dashboard_password or ""
    st.title("Polybot")
    with st.form("sign_in"):
        entered = st.text_input("Password", type="password", key="password")
        submitted = st.form_submit_button("Sign in")
    if submitted:
        if _matches(entered or "", expected):
            st.session_state["signed_in"] = True
            st.session_state.pop("password", None)
            st.rerun()
        time.sleep(FAILED_LOGIN_DELAY_S)
        st.error("Wrong password.")
    st.caption("This dashboard is protected by DASHBOARD_PASSWORD.")


def require_password() -> None:
    """Return when no password is configured or this session has signed in; otherwise show only
    the sign-in form and stop the script run. The form is the app's one (hidden) page until then,
    so not even the names of the other pages reach the browser."""
    expected = load_secrets().dashboard_password
    if not expected or st.session_state.get("signed_in"):
        return
    st.navigation([st.Page(_sign_in, title="Sign in", url_path="sign-in")], position="hidden").run()
    st.stop()
