from zoneinfo import available_timezones

import streamlit as st

from admin_app import auth, runtime, state, ui
from commerce import descriptions, payments
from commerce.payments.settings import FIELDS as PAYMENT_FIELDS
from tenancy import profile

ZONES = sorted(available_timezones())
PAYMENT_NAMES = {
    "stripe": "Stripe",
    "square": "Square",
    "paypal": "PayPal",
    "clover": "Clover",
    "manual": "Manual (paid offline)",
}
AI_NAMES = {"anthropic": "Anthropic", "openai": "OpenAI", "google": "Google"}


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


def _payment_key(provider, field):
    return f"settings_pay_{provider}_{field}"


def save_provider(provider):
    # NOTE: the secrets are read once and their inputs emptied at once, so a
    # typed secret never stays in the session or on the next run's page.
    values = {}
    for field in _all_fields(provider):
        key = _payment_key(provider, field)
        values[field] = (st.session_state.get(key) or "").strip()
        st.session_state[key] = ""
    settings = {field: value for field, value in values.items() if value}

    def work():
        tenant = auth.require_store(state.viewer(), owner_only=True)
        return payments.configure_provider(
            runtime.current().platform,
            tenant.id,
            provider,
            settings,
            actor=state.viewer().actor,
        )

    ui.act(work, done=f"{PAYMENT_NAMES[provider]} is connected.")


def disable_provider(provider):
    def work():
        tenant = auth.require_store(state.viewer(), owner_only=True)
        return payments.disable_provider(
            runtime.current().platform, tenant.id, provider, actor=state.viewer().actor
        )

    ui.act(work, done=f"{PAYMENT_NAMES[provider]} is disconnected.")


def save_restock():
    def work():
        tenant = auth.require_store(state.viewer(), owner_only=True)
        payments.set_restock_on_refund(tenant, st.session_state.settings_restock)

    ui.act(work, done="Refund setting saved.")


def save_ai_key():
    provider = st.session_state.settings_ai_provider
    key = st.session_state.settings_ai_key or ""
    st.session_state.settings_ai_key = ""

    def work():
        tenant = auth.require_store(state.viewer(), owner_only=True)
        return descriptions.set_store_ai_key(
            runtime.current().platform,
            tenant.id,
            provider,
            key,
            actor=state.viewer().actor,
        )

    ui.act(work, done=lambda hint: f"{AI_NAMES[provider]} key saved ({hint}).")


def remove_ai_key(provider):
    def work():
        tenant = auth.require_store(state.viewer(), owner_only=True)
        return descriptions.remove_store_ai_key(
            runtime.current().platform, tenant.id, provider, actor=state.viewer().actor
        )

    ui.act(work, done=f"{AI_NAMES[provider]} key removed.")


def _all_fields(provider):
    secret, required, optional = PAYMENT_FIELDS[provider]
    return (*secret, *required, *optional)


def _label(field, required):
    return field.replace("_", " ").capitalize() + ("" if required else " (optional)")


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
        placeholder="G-1A2B3C4D5E",
        key="settings_analytics",
        help="Leave empty for no analytics on your storefront.",
    )
    st.form_submit_button("Save analytics", on_click=save_analytics)

st.subheader("Payments")
with ui.reporting():
    summary = payments.provider_summary(runtime.current().platform, tenant.id)
    ai_keys = descriptions.list_store_ai_keys(runtime.current().platform, tenant.id)

enabled = summary["providers"]
# NOTE: with nothing connected the summary lists "manual", which cannot be
# disconnected: it is what the storefront falls back to.
nothing_connected = list(enabled) == ["manual"]
st.caption(
    "Secrets are sealed for this store and never shown again; you see their "
    "last characters only. Enter a secret again to replace it."
)
for provider, hints in enabled.items():
    name_col, hint_col, button_col = st.columns([2, 5, 2])
    name_col.write(f"**{PAYMENT_NAMES[provider]}**")
    hint_col.write(
        ", ".join(f"{field}: `{hint}`" for field, hint in hints.items())
        or "No settings."
    )
    if not nothing_connected:
        button_col.button(
            "Disconnect",
            key=f"settings_pay_disable_{provider}",
            on_click=disable_provider,
            args=(provider,),
        )
if nothing_connected:
    st.info(
        "No payment provider is connected: the storefront offers payment "
        "arranged with you (manual). Connect one below."
    )
if summary["clover_verification"]:
    st.info(
        "Clover sent a verification code to paste into its dashboard: "
        f"`{summary['clover_verification'].get('code', '')}`."
    )

provider = st.selectbox(
    "Provider to connect or update",
    [p for p in payments.PROVIDERS if p != "manual"],
    format_func=PAYMENT_NAMES.get,
    key="settings_pay_provider",
)
secret_fields, required_fields, optional_fields = PAYMENT_FIELDS[provider]
with st.form(f"settings_pay_form_{provider}"):
    for field in secret_fields:
        st.text_input(
            _label(field, True), type="password", key=_payment_key(provider, field)
        )
    for field in (*required_fields, *optional_fields):
        st.text_input(
            _label(field, field in required_fields),
            key=_payment_key(provider, field),
            help="api_base is for sandboxes; leave it empty for the live API."
            if field == "api_base"
            else None,
        )
    st.form_submit_button(
        f"Connect {PAYMENT_NAMES[provider]}", on_click=save_provider, args=(provider,)
    )
st.checkbox(
    "Put the units back in stock when an order is refunded in full",
    value=summary["restock_on_refund"],
    key="settings_restock",
    on_change=save_restock,
)

st.subheader("AI descriptions")
st.caption(
    "Your own key bills generations to your account with the provider instead "
    "of your AI credits. A saved key is never shown again."
)
for ai_provider, hint in ai_keys.items():
    name_col, hint_col, button_col = st.columns([2, 5, 2])
    name_col.write(f"**{AI_NAMES.get(ai_provider, ai_provider)}**")
    hint_col.write(f"key `{hint}`")
    button_col.button(
        "Remove",
        key=f"settings_ai_remove_{ai_provider}",
        on_click=remove_ai_key,
        args=(ai_provider,),
    )
if not ai_keys:
    st.caption("No key of your own: generations use the platform's, for credits.")
with st.form("settings_ai_form"):
    st.selectbox(
        "Provider", list(AI_NAMES), format_func=AI_NAMES.get, key="settings_ai_provider"
    )
    st.text_input("API key", type="password", key="settings_ai_key")
    st.form_submit_button("Save AI key", on_click=save_ai_key)

st.subheader("Storefront look")
# TODO(#4): logo, colours and home page text of the storefront.
st.info("Choosing how your storefront looks arrives with the storefront.")
