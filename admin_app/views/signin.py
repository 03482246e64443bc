import streamlit as st

# NOTE: plain links through st.html, which keeps them in this tab; Streamlit's
# markdown links open a new one. The hrefs are fixed strings.
st.title("APMTSales")
st.write("Log in to manage your store, or open a new one.")
st.html(
    '<p><a href="/auth/login">Log in</a> · <a href="/auth/signup">Sign up</a> · '
    '<a href="/auth/reset">Forgot your password?</a></p>'
)
st.html(
    '<p><small>Platform staff: <a href="/auth/staff/login">staff log in</a></small></p>'
)
