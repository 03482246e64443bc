"""What the page scripts share within one dashboard process.

Streamlit runs the entry script and the pages as scripts, not as functions we
call, so they cannot be handed their collaborators as arguments. The ASGI
factory (``admin_app.asgi.create_app``) installs one ``AdminContext`` before
the server starts; scripts read it with ``current()``. Tests install their own,
which is how they hand the scripts a test platform, fake services and a
session token (AppTest cannot send cookies).
"""

from collections.abc import Callable
from dataclasses import dataclass

SESSION_COOKIE = "apmt_session"


class NotInstalled(RuntimeError):
    """The scripts were started without ``create_app`` (or a test's install)."""


@dataclass(frozen=True)
class AdminContext:
    platform: object
    settings: object
    services: object
    read_token: Callable[[], str | None]
    """Returns the session token the current script run was sent."""


_context = None


def install(context):
    global _context
    _context = context
    return context


def current():
    if _context is None:
        raise NotInstalled(
            "the dashboard was started without its platform; start it with "
            "`apmt serve admin`"
        )
    return _context


def read_cookie_token():
    """The session token from the cookie of this script run's websocket."""
    import streamlit as st

    token = st.context.cookies.get(SESSION_COOKIE)
    return token if isinstance(token, str) and token else None
