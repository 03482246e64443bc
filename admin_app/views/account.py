import json

import streamlit as st

from admin_app import auth, runtime, state, ui
from tenancy import account_rights, profile


def save_details():
    values = st.session_state

    def work():
        account_id = auth.require_owner(state.viewer())
        profile.update_account(
            runtime.current().platform,
            account_id,
            owner_name=values.account_name,
            email=values.account_email,
            business_name=values.account_business,
            password=values.account_details_password,
        )

    ui.act(work, done="Details saved.")
    values.account_details_password = ""


def change_password():
    values = st.session_state

    def work():
        account_id = auth.require_owner(state.viewer())
        if values.account_new_password != values.account_repeat_password:
            raise profile.ProfileRefused("the two new passwords differ; type it again")
        profile.change_password(
            runtime.current().platform,
            account_id,
            values.account_current_password,
            values.account_new_password,
            keep_token=auth.current_token(),
        )

    ui.act(work, done="Password changed; your other sessions were logged out.")
    for key in (
        "account_current_password",
        "account_new_password",
        "account_repeat_password",
    ):
        values[key] = ""


def end_session(handle):
    def work():
        account_id = auth.require_owner(state.viewer())
        profile.end_session(runtime.current().platform, account_id, handle)

    ui.act(work, done="Session logged out.")


st.title("Account")
viewer = state.viewer()
try:
    account_id = auth.require_owner(viewer)
except auth.AccessDenied as exc:
    st.error(str(exc))
    st.stop()
platform = runtime.current().platform

with ui.reporting():
    account = profile.get_account(platform, account_id)
    live = profile.account_sessions(platform, account_id)

st.subheader("Your details")
with st.form("account_details"):
    st.text_input("Your name", value=account.owner_name, key="account_name")
    st.text_input("Email", value=account.email, key="account_email")
    st.text_input("Business name", value=account.business_name, key="account_business")
    st.text_input(
        "Current password (needed to change the email)",
        type="password",
        key="account_details_password",
    )
    st.form_submit_button("Save details", on_click=save_details)

st.subheader("Password")
with st.form("account_password"):
    st.text_input("Current password", type="password", key="account_current_password")
    st.text_input("New password", type="password", key="account_new_password")
    st.text_input("New password again", type="password", key="account_repeat_password")
    st.form_submit_button("Change password", on_click=change_password)

st.subheader("Where you are logged in")
mine = auth.session_handle(auth.current_token())
for handle, agent, created, seen in live:
    where, since, action = st.columns([4, 2, 1])
    where.write(
        (agent or "Unknown browser")[:80] + (" — this one" if handle == mine else "")
    )
    since.caption(f"since {created:%Y-%m-%d %H:%M}, last seen {seen:%H:%M}")
    action.button(
        "Log out",
        key=f"account_end_{handle[:16]}",
        on_click=end_session,
        args=(handle,),
    )

st.subheader("Your data")
st.write(
    "Download everything the platform holds about your account, correct it "
    "above, or delete the account. For anything else, write to "
    f"{account_rights.SECURITY_ADDRESS}."
)
with ui.reporting():
    package = json.dumps(
        account_rights.export_account(platform, account_id), indent=2, default=str
    )
st.download_button(
    "Download my account data (JSON)",
    package,
    file_name="apmtsales-account.json",
    mime="application/json",
    key="account_export",
)


def delete_account():
    values = st.session_state

    def work():
        owner = auth.require_owner(state.viewer())
        if not values.account_delete_confirm:
            raise profile.ProfileRefused("tick the box to confirm the deletion")
        return account_rights.delete_account(
            runtime.current().platform,
            owner,
            immediately=values.account_delete_now,
        )

    ui.act(work, done="Your account is closed; you have been logged out.")


with st.form("account_delete"):
    st.write(
        "Deleting the account closes your store. Its data is kept for 30 days "
        "and then deleted, unless you ask for deletion now."
    )
    st.checkbox("Delete my store's data now instead of after 30 days",
                key="account_delete_now")  # fmt: skip
    st.checkbox("I understand this closes my store", key="account_delete_confirm")
    st.form_submit_button("Delete my account", on_click=delete_account)
