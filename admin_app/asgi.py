"""The dashboard as an ASGI app: Streamlit plus our routes and headers.

``create_app`` builds the ``st.App`` (Streamlit on Starlette) that serves the
pages, adds the ``/auth/*`` routes and the security-header middleware, and
installs the context the page scripts read (``admin_app.runtime``). It does
not read the environment itself: ``apmt.admin_wiring`` loads the settings,
builds the import and export services and calls it.
"""

import logging
import secrets
import traceback
from pathlib import Path

from starlette.middleware import Middleware
from streamlit.starlette import App

from admin_app import runtime, security
from admin_app.billing_routes import BillingRoutes
from admin_app.config import load_settings
from admin_app.routes import AuthRoutes
from admin_app.services import unwired

log = logging.getLogger(__name__)

ENTRY_SCRIPT = Path(__file__).with_name("streamlit_app.py")


def create_app(platform, *, settings=None, services=None, read_token=None):
    """The ASGI app of the dashboard, over ``platform``."""
    settings = settings or load_settings(platform.config)
    runtime.install(
        runtime.AdminContext(
            platform=platform,
            settings=settings,
            services=services or unwired(),
            read_token=read_token or runtime.read_cookie_token,
        )
    )
    csp = security.content_security_policy(security.inline_script_hashes())

    # NOTE: our routes come before Streamlit's, so they also shadow its own
    # GET /auth/login and /auth/logout (for st.login, which we do not use).
    return App(
        str(ENTRY_SCRIPT),
        routes=[
            *AuthRoutes(platform, settings).routes(),
            *BillingRoutes(platform).routes(),
        ],
        middleware=[Middleware(security.SecurityHeaders, csp=csp)],
        on_script_error=report_script_error,
    )


def report_script_error(exc):
    """Log an unexpected failure of a page and show a plain message instead.

    The owner sees a reference to quote to support, never a traceback (which
    could hold data of the store or of the platform).
    """
    import streamlit as st

    reference = secrets.token_hex(4)
    # NOTE: where it failed, but not the exception's message: a database error
    # can quote the row it refused, with a shopper's email in it.
    frames = "".join(traceback.format_tb(exc.__traceback__))
    log.error(
        "page failed, reference %s: %s\n%s", reference, type(exc).__name__, frames
    )
    st.error(
        "Something went wrong on our side. Reload the page; if it happens again, "
        f"write to support quoting reference {reference}."
    )
    return True
