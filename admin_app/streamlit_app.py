"""The dashboard's entry script: who is asking, which pages they get, the frame.

Every run reads the session cookie, checks the session in the registry and
builds the page list for that person: nobody signed in gets the sign-in page
only, owners get their store's pages, staff get the platform pages and, while
a support grant lasts, that store's pages without personal data. Only pages
handed to ``st.navigation`` can be reached, by link or by URL; each page
still checks again before it calls a service (``admin_app.auth``).
"""

import streamlit as st

from admin_app import auth, runtime, state, ui
from tenancy import record_usage

# NOTE: the views live in ``views/``, not ``pages/``: Streamlit would publish a
# ``pages/`` folder by itself if a run ever ended before ``st.navigation``.
SIGN_IN = ("views/signin.py", "Sign in", "signin")
STORE_PAGES = {
    "Store": [
        ("views/overview.py", "Overview", "overview"),
        ("views/analytics.py", "Analytics", "analytics"),
    ],
    "Inventory": [
        ("views/products.py", "Products", "products"),
        ("views/stock.py", "Stock", "stock"),
        ("views/stock_count.py", "Stock count", "stock-count"),
        ("views/low_stock.py", "Low stock", "low-stock"),
        ("views/descriptions.py", "AI descriptions", "descriptions"),
    ],
    "Data": [
        ("views/imports.py", "Import", "import"),
        ("views/exports.py", "Export", "export"),
    ],
    "Customers": [
        ("views/orders.py", "Orders", "orders"),
        ("views/messages.py", "Messages", "messages"),
        ("views/newsletter.py", "Newsletter", "newsletter"),
        ("views/privacy.py", "Privacy requests", "privacy"),
    ],
    "Settings": [
        ("views/settings.py", "Settings", "settings"),
        ("views/billing.py", "Billing", "billing"),
        ("views/account.py", "Account", "account"),
    ],
}
# Support access covers the catalogue and stock, never personal data.
SUPPORT_PAGES = {"overview", "products", "stock", "stock-count", "low-stock", "import"}
STAFF_PAGES = {
    "Platform": [
        ("views/staff_stores.py", "Stores", "stores"),
        ("views/staff_support.py", "Support access", "support"),
    ]
}


def build_pages(viewer):
    """The pages this viewer may reach, by section."""
    if viewer is None:
        return {"": [_page(SIGN_IN, default=True)]}
    if not viewer.is_staff:
        sections = (
            STORE_PAGES
            if viewer.stores
            else {"Settings": [STORE_PAGES["Settings"][-1]]}
        )
        return _sections(sections)

    sections = dict(STAFF_PAGES)
    if viewer.stores:
        sections["Support"] = [
            spec
            for group in STORE_PAGES.values()
            for spec in group
            if spec[2] in SUPPORT_PAGES
        ]
    return _sections(sections)


def frame(viewer, refused):
    """The sidebar every page shares: who, which store, log out."""
    with st.sidebar:
        if viewer is None:
            return
        st.caption(
            f"Signed in as {viewer.name}" + (" (staff)" if viewer.is_staff else "")
        )
        if refused:
            st.error("That store is not one of yours; showing your own.")
        if len(viewer.stores) > 1:
            labels = {s.id: s.label for s in viewer.stores}
            st.selectbox(
                "Store", list(labels), key=state.STORE_ID, format_func=labels.get
            )
        elif viewer.store:
            st.caption(f"Store: {viewer.store.label}")
        if viewer.store and viewer.store.status != "active":
            st.warning(f"This store is {viewer.store.status}.")
        st.html('<a href="/auth/logout">Log out</a>')


def run():
    st.set_page_config(page_title="APMTSales", layout="wide")
    state.init()
    try:
        context = runtime.current()
    except runtime.NotInstalled as exc:
        st.error(f"{exc}.")
        st.stop()

    viewer = auth.identify(context.platform, context.read_token())
    viewer, refused = auth.choose_store(viewer, st.session_state[state.STORE_ID])
    st.session_state[state.STORE_ID] = viewer.store_id if viewer else None
    st.session_state[state.VIEWER] = viewer

    navigation = st.navigation(build_pages(viewer))
    count_page_view(context.platform, viewer, navigation)
    frame(viewer, refused)
    ui.show_flash()
    navigation.run()


def count_page_view(platform, viewer, page):
    """One usage event per page opened; reruns of the same page do not count."""
    if viewer is None or st.session_state.get(state.LAST_PAGE) == page.url_path:
        return
    st.session_state[state.LAST_PAGE] = page.url_path
    with platform.registry() as conn:
        record_usage(
            conn, "admin_page_view", viewer.store_id, viewer.account_id,
            page=page.url_path or "overview", staff=viewer.is_staff,
        )  # fmt: skip


def _sections(sections):
    built = {}
    for name, specs in sections.items():
        built[name] = [
            _page(spec, default=not built and i == 0) for i, spec in enumerate(specs)
        ]
    return built


def _page(spec, default=False):
    path, title, url_path = spec
    if default:
        return st.Page(path, title=title, default=True)
    return st.Page(path, title=title, url_path=url_path)


if __name__ == "__main__":
    run()
