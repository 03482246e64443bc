import streamlit as st

from admin_app import ui

st.title("Billing")
tenant = ui.open_store(owner_only=True, allow_closed=True)

st.metric("Plan", tenant.store.plan.title())
# TODO(#10): subscription through Clover, invoices and AI credits.
st.info("Changing plans, invoices and AI credits arrive with billing.")
