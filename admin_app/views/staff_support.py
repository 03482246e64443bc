from datetime import UTC

import streamlit as st

from admin_app import auth, runtime, state, ui
from tenancy import support


def ask_for_access():
    values = st.session_state

    def work():
        staff = auth.require_staff(state.viewer())
        store = runtime.current().platform.store(values.support_store)
        support.grant_support(
            runtime.current().platform,
            staff.id,
            store.id,
            values.support_reason,
            hours=values.support_hours,
        )
        return store.display_name

    ui.act(
        work,
        done=lambda name: (
            f"Support access to {name} granted; its pages "
            "are in the sidebar under Support."
        ),
    )


def end_access(grant_id):
    def work():
        staff = auth.require_staff(state.viewer())
        support.revoke(runtime.current().platform, grant_id, staff_id=staff.id)

    ui.act(work, done="Access ended.")


st.title("Support access")
try:
    staff = auth.require_staff(state.viewer())
except auth.AccessDenied as exc:
    st.error(str(exc))
    st.stop()
platform = runtime.current().platform

with ui.reporting():
    stores = {s.slug: s for s in support.list_stores(platform) if s.status != "deleted"}
    grants = support.active_grants(platform, None if staff.is_admin else staff.id)

st.write(
    "Open one store's catalogue and stock for a limited time. The grant, "
    "and everything you change, is written to the audit log. Support "
    "access never shows personal data."
)
with st.form("support_ask"):
    st.selectbox("Store", list(stores), key="support_store")
    st.text_input(
        "Why you need it (a ticket number; no personal data)", key="support_reason"
    )
    st.slider(
        "For how many hours",
        1,
        int(support.MAX_GRANT.total_seconds() // 3600),
        1,
        key="support_hours",
    )
    st.form_submit_button("Ask for access", on_click=ask_for_access)

st.subheader("Live grants" + (" (everyone's)" if staff.is_admin else ""))
if not grants:
    st.caption("None.")
by_id = {s.id: s for s in stores.values()}
for grant in grants:
    store = by_id.get(grant.store_id)
    text, action = st.columns([5, 1])
    until = grant.expires_at.astimezone(UTC)
    text.text(
        f"{store.slug if store else grant.store_id}, staff {grant.staff_id}, "
        f"until {until:%Y-%m-%d %H:%M} UTC: {grant.reason}"
    )
    action.button(
        "End", key=f"support_end_{grant.id}", on_click=end_access, args=(grant.id,)
    )
