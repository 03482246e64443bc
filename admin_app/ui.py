"""What every page does the same way: open the store, report failures, flash.

A failure the owner can act on becomes ``st.error`` saying what to do; the
page stops there. Anything else is left to the app's script-error handler
(``admin_app.asgi``), which logs it and shows a plain message, never a
traceback.
"""

from contextlib import contextmanager

import streamlit as st

from admin_app import auth, state
from admin_app.services import ServiceRefused
from commerce.errors import (
    CommerceError,
    Conflict,
    InsufficientStock,
    InvalidInput,
    NotFound,
)
from tenancy import DatabaseUnavailable, RateLimited, TenancyError

EXPECTED = (auth.AccessDenied, CommerceError, TenancyError, ServiceRefused)


def describe(exc):
    """A sentence for the owner: what went wrong, then what to do about it."""
    text = str(exc)
    text = text[:1].upper() + text[1:]
    if not text.endswith((".", "?", "!")):
        text += "."
    hint = {
        NotFound: "It may have been removed meanwhile; reload the page.",
        InvalidInput: "Correct it and try again.",
        Conflict: "Choose another value.",
        InsufficientStock: "Lower the quantity, or record the stock first.",
        DatabaseUnavailable: "Try again in a minute.",
        RateLimited: "",
    }
    for kind, advice in hint.items():
        if isinstance(exc, kind):
            return f"{text} {advice}".strip()
    return text


def open_store(**checks):
    """The tenant of the viewer's store, or an error and a stopped page."""
    try:
        return auth.require_store(state.viewer(), **checks)
    except auth.AccessDenied as exc:
        st.error(str(exc))
        st.stop()


@contextmanager
def reporting():
    """Run a service call; an expected failure is shown and stops the page."""
    try:
        yield
    except EXPECTED as exc:
        st.error(describe(exc))
        st.stop()


def act(call, *args, done=None, **kwargs):
    """Run a service call from a callback, leaving its outcome for the next run.

    ``done`` is the success message (or a function of the call's result).
    """
    try:
        result = call(*args, **kwargs)
    except EXPECTED as exc:
        flash("error", describe(exc))
        return None
    if done:
        flash("success", done(result) if callable(done) else done)
    return result


def flash(kind, text):
    st.session_state[state.FLASH] = [
        *st.session_state.get(state.FLASH, []),
        (kind, text),
    ]


def show_flash():
    """Show, once, the messages callbacks left."""
    for kind, text in st.session_state.get(state.FLASH, []):
        {"error": st.error, "success": st.success}.get(kind, st.info)(text)
    st.session_state[state.FLASH] = []
