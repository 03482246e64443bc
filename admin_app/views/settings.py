from zoneinfo import available_timezones

import streamlit as st

from admin_app import auth, runtime, state, ui
from tenancy import profile

ZONES = sorted(available_timezones())


def save_profile():
    values = st.session_state

    def work():
        tenant = auth.require_store(state.viewer(), owner_only=True)
        profile.update_store_profile(
            runtime.current().platform,
            tenant.id,
            display_name=values.settings_name,
            currency=values.settings_currency,
            timezone=values.settings_timezone,
            actor=state.viewer().actor,
        )

    ui.act(work, done="Store profile saved.")


def save_analytics():
    def work():
        tenant = auth.require_store(state.viewer(), owner_only=True)
        profile.set_analytics_id(tenant, st.session_state.settings_analytics)

    ui.act(work, done="Analytics setting saved.")


st.title("Settings")
tenant = ui.open_store(owner_only=True)
store = tenant.store

with ui.reporting():
    analytics_id = profile.store_setting(tenant, profile.ANALYTICS_ID, "")

st.subheader("Store profile")
with st.form("settings_profile"):
    st.text_input("Store name", value=store.display_name, key="settings_name")
    currency_col, zone_col = st.columns(2)
    currency_col.text_input(
        "Currency (ISO 4217)",
        value=store.currency,
        max_chars=3,
        key="settings_currency",
        help="Prices are not converted when it changes.",
    )
    zone_col.selectbox(
        "Time zone",
        ZONES,
        index=ZONES.index(store.timezone) if store.timezone in ZONES else 0,
        key="settings_timezone",
    )
    st.form_submit_button("Save profile", on_click=save_profile)
st.caption(
    f"Your storefront: {runtime.current().platform.config.store_url(store.slug)}"
)

st.subheader("Analytics")
with st.form("settings_analytics_form"):
    st.text_input(
        "Google Analytics measurement id",
        value=analytics_id,
        placeholder="G-XXXXXXXXXX",
        key="settings_analytics",
        help="Leave empty for no analytics on your storefront.",
    )
    st.form_submit_button("Save analytics", on_click=save_analytics)

st.subheader("Payments")
# TODO(#5): connect Stripe, Square, Clover or PayPal; keys sealed per store.
st.info("Connecting a payment provider arrives with payments.")
st.subheader("AI descriptions")
# TODO(#7): AI provider keys (Anthropic, OpenAI, Google), sealed per store.
st.info("AI provider keys arrive with AI descriptions.")
st.subheader("Storefront look")
# TODO(#4): logo, colours and home page text of the storefront.
st.info("Choosing how your storefront looks arrives with the storefront.")
