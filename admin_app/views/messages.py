import streamlit as st

from admin_app import store_reads, ui

st.title("Messages")
tenant = ui.open_store(owner_only=True, allow_closed=True)

with ui.reporting():
    messages = store_reads.list_messages(tenant)

if messages is None:
    # A store database not yet upgraded to the storefront migration (s0005).
    st.info("Messages from your storefront's contact form will appear here.")
    st.stop()
if not messages:
    st.info("No messages yet.")
    st.stop()
st.dataframe(messages, hide_index=True)
