import streamlit as st

from admin_app import auth, runtime, state, ui
from tenancy import billing, support

st.title("Stores")
try:
    auth.require_staff(state.viewer())
except auth.AccessDenied as exc:
    st.error(str(exc))
    st.stop()

with ui.reporting():
    stores = support.list_stores(runtime.current().platform)
    billed = billing.states(runtime.current().platform)
status = st.multiselect(
    "Status",
    ["active", "suspended", "cancelled", "deleted", "provisioning"],
    default=["active", "suspended", "cancelled"],
    key="staff_stores_status",
)
rows = [
    {
        "id": s.id,
        "slug": s.slug,
        "name": s.display_name,
        "status": s.status,
        "plan": s.plan,
        "billing": billed.get(s.id, "unbilled"),
        "currency": s.currency,
        "created": s.created_at,
    }
    for s in stores
    if s.status in status
]
st.caption(f"{len(rows)} of {len(stores)} stores.")
st.dataframe(rows, hide_index=True)
