import streamlit as st

from admin_app import auth, state, ui
from commerce import privacy

ADDRESS_FIELDS = (
    ("line1", "Address line 1"),
    ("line2", "Address line 2"),
    ("city", "City"),
    ("region", "Region"),
    ("postal_code", "Postal code"),
    ("country", "Country"),
)


def _owner_call(call, *args, **kwargs):
    viewer = state.viewer()
    tenant = auth.require_store(viewer, owner_only=True)
    return call(tenant, *args, actor=viewer.actor, **kwargs)


def extend(request_id):
    reason = st.session_state.privacy_extend_reason
    ui.act(
        _owner_call,
        privacy.extend_deadline,
        request_id,
        reason,
        done=lambda until: (
            f"Deadline moved to {until:%d %B %Y}; the requester is told why."
        ),
    )


def fulfil(request_id, kind):
    values = st.session_state
    if kind == "access":
        ui.act(
            _owner_call,
            privacy.fulfil_access,
            request_id,
            done="The copy is ready; the requester has a download link by mail.",
        )
        return
    if kind == "deletion":
        if not values.privacy_delete_confirm:
            ui.flash("error", "Tick the box to confirm the deletion first.")
            return
        ui.act(
            _owner_call,
            privacy.fulfil_deletion,
            request_id,
            done="The requester's personal data is erased; they are told by mail.",
        )
        return

    changes = {
        field: values[f"privacy_fix_{field}"]
        for field in ("name", "email", "phone")
        if (values.get(f"privacy_fix_{field}") or "").strip()
    }
    address = {
        key: values[f"privacy_fix_address_{key}"]
        for key, _ in ADDRESS_FIELDS
        if (values.get(f"privacy_fix_address_{key}") or "").strip()
    }
    if address:
        changes["shipping_address"] = address
    ui.act(
        _owner_call,
        privacy.fulfil_correction,
        request_id,
        changes,
        done=lambda n: f"{n} record(s) corrected; the requester is told.",
    )


def refuse(request_id):
    reason = st.session_state.privacy_refuse_reason
    ui.act(
        _owner_call,
        privacy.refuse_request,
        request_id,
        reason,
        done="Request refused; the requester is told why.",
    )


st.title("Privacy requests")
tenant = ui.open_store(owner_only=True)
st.caption(
    "Shoppers' requests to see, correct or delete their data appear here once "
    "they have proved their address. Answer each by its due date: one month "
    "from verification, which you may extend once, with a reason."
)

with ui.reporting():
    requests = privacy.list_requests(tenant)

if not requests:
    st.info("No privacy requests waiting.")
    st.stop()
st.dataframe(
    [
        {
            "id": r.id,
            "kind": r.kind,
            "status": r.status,
            "email": r.email or "(erased)",
            "verified": r.verified_at,
            "due": r.due,
            "extended": "yes" if r.extended_until else "",
        }
        for r in requests
    ],
    hide_index=True,
)

waiting = {r.id: r for r in requests if r.status == "verified"}
if not waiting:
    st.success("Every request is answered.")
    st.stop()
request_id = st.selectbox(
    "Answer request",
    list(waiting),
    format_func=lambda i: f"#{i} {waiting[i].kind} by {waiting[i].email}",
    key="privacy_open",
)
request = waiting[request_id]

st.subheader(f"Request #{request.id}: {request.kind}")
st.write(
    f"**From:** {request.email}  \n"
    f"**Due:** {request.due:%d %B %Y}"
    + (f" (extended: {request.extension_reason})" if request.extended_until else "")
)
if request.details:
    st.text(request.details)

if request.kind == "access":
    st.button(
        "Send the requester a copy of their data",
        on_click=fulfil,
        args=(request.id, "access"),
        key="privacy_access_button",
    )
elif request.kind == "deletion":
    st.warning(
        "This erases the shopper's name, email, phone, address and notes from "
        "every order (amounts and items stay), and deletes their messages, "
        "newsletter subscription and mail. It cannot be undone."
    )
    st.checkbox("I understand; delete their data", key="privacy_delete_confirm")
    st.button(
        "Delete their data",
        on_click=fulfil,
        args=(request.id, "deletion"),
        key="privacy_delete_button",
    )
else:
    with st.form("privacy_fix_form"):
        st.caption("Fill in only what changes; empty fields stay as they are.")
        st.text_input("Name", key="privacy_fix_name")
        st.text_input("Email", key="privacy_fix_email")
        st.text_input("Phone", key="privacy_fix_phone")
        for key, label in ADDRESS_FIELDS:
            st.text_input(label, key=f"privacy_fix_address_{key}")
        st.form_submit_button(
            "Apply the corrections",
            on_click=fulfil,
            args=(request.id, "correction"),
            key="privacy_fix_button",
        )

left, right = st.columns(2)
if request.extended_until is None:
    with left.form("privacy_extend_form"):
        st.text_input("Why you need more time", key="privacy_extend_reason")
        st.form_submit_button(
            "Extend by two months",
            on_click=extend,
            args=(request.id,),
            key="privacy_extend_button",
        )
with right.form("privacy_refuse_form"):
    st.text_input("Why you refuse it", key="privacy_refuse_reason")
    st.form_submit_button(
        "Refuse the request",
        on_click=refuse,
        args=(request.id,),
        key="privacy_refuse_button",
    )
