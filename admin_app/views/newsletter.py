import csv
import io

import streamlit as st

from admin_app import store_reads, ui

st.title("Newsletter")
tenant = ui.open_store(owner_only=True, allow_closed=True)

with ui.reporting():
    subscribers = store_reads.list_subscribers(tenant)

if subscribers is None:
    # A store database not yet upgraded to the storefront migration (s0005).
    st.info("People who sign up to your newsletter will appear here.")
    st.stop()
if not subscribers:
    st.info("No subscribers yet.")
    st.stop()

confirmed = [s for s in subscribers if s["status"] == "confirmed"]
st.metric("Confirmed subscribers", len(confirmed))
st.dataframe(subscribers, hide_index=True)

# Only people who confirmed their subscription may be written to.
buffer = io.StringIO()
writer = csv.writer(buffer)
writer.writerow(["email", "confirmed_at"])
writer.writerows((s["email"], s["confirmed_at"]) for s in confirmed)
st.download_button(
    "Download confirmed subscribers (CSV)",
    buffer.getvalue().encode(),
    on_click="ignore",
    file_name=f"{tenant.store.slug}-subscribers.csv",
    mime="text/csv",
    key="newsletter_csv",
)
