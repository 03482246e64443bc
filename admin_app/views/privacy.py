import streamlit as st

from admin_app import ui

st.title("Privacy requests")
ui.open_store(owner_only=True)

# TODO(#9): the inbox of shoppers' access, correction and deletion requests,
# with identity checks, deadlines and downloadable results.
st.info(
    "Requests from shoppers to see, correct or delete their data will be "
    "listed here. Until then, answer them from your email."
)
