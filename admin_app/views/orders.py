from decimal import Decimal, InvalidOperation

import streamlit as st

from admin_app import auth, data, runtime, state, store_reads, ui
from commerce import payments
from commerce.money import format_money

REFUNDABLE = ("paid", "fulfilled", "partially_refunded")


def refund(order_id, currency):
    values = st.session_state
    raw = (values.orders_refund_amount or "").strip()
    try:
        amount = Decimal(raw) if raw else None
    except InvalidOperation:
        ui.flash("error", f"{raw!r} is not an amount; write it like 12.50.")
        return

    def work():
        tenant = auth.require_store(state.viewer(), owner_only=True)
        # NOTE: refund_order has no restock argument; whether a full refund
        # restocks is the store's setting, so the owner's choice here sets it.
        if values.orders_refund_restock != payments.restock_on_refund(tenant):
            payments.set_restock_on_refund(tenant, values.orders_refund_restock)
        outcome = payments.refund_order(
            tenant, order_id, payments.Providers(runtime.current().platform),
            amount=amount,
        )  # fmt: skip
        data.orders.clear()
        return outcome

    def done(outcome):
        what = format_money(amount, currency) if amount is not None else "The rest"
        note = f" ({outcome.note})" if getattr(outcome, "note", None) else ""
        return f"{what} refunded{note}."

    ui.act(work, done=done)


st.title("Orders")
tenant = ui.open_store(owner_only=True, allow_closed=True)

status_col, page_col = st.columns([3, 1])
status = status_col.selectbox(
    "Status",
    ["", *store_reads.ORDER_STATUSES],
    format_func=lambda s: s.replace("_", " ") or "Any",
    key="orders_status",
)
page = page_col.number_input("Page", min_value=1, step=1, key="orders_page")

with ui.reporting():
    orders, total = data.orders(tenant.id, status or None, int(page), _tenant=tenant)

if orders.empty:
    st.info("No orders yet. They arrive from the storefront or a sales import.")
    st.stop()
st.caption(f"{total} order(s); {store_reads.ORDERS_PER_PAGE} a page.")
st.dataframe(orders.drop(columns=["id"]), hide_index=True)

numbers = dict(zip(orders["id"], orders["number"], strict=True))
order_id = st.selectbox(
    "Open order", list(numbers), format_func=numbers.get, key="orders_open"
)
with ui.reporting():
    order = store_reads.get_order(tenant, int(order_id))

st.subheader(f"Order {order['number']}")
left, right = st.columns(2)
left.write(
    f"**Status:** {order['status'].replace('_', ' ')}  \n"
    f"**Placed:** {order['placed_at']:%Y-%m-%d %H:%M}  \n"
    f"**Source:** {order['source']}"
)
right.write(
    f"**Customer:** {order['customer_name'] or '—'}  \n"
    f"**Email:** {order['email'] or '—'}  \n"
    f"**Country:** {order['country'] or '—'}"
)
st.dataframe(order["lines"], hide_index=True)
currency = order["currency"]
st.write(
    f"Total **{format_money(order['total'], currency)}**, refunded "
    f"{format_money(order['refunded_total'], currency)}."
)

if order["status"] not in REFUNDABLE or not order["payment_ref"]:
    st.caption("Only paid orders with a recorded payment can be refunded.")
    st.stop()
left = order["total"] - order["refunded_total"]
with ui.reporting():
    restock = payments.restock_on_refund(tenant)
with st.form("orders_refund_form"):
    st.text_input(
        f"Amount to refund ({currency})",
        placeholder=f"{left} (all that is left)",
        key="orders_refund_amount",
        help="Leave empty to refund all that is left. It goes back through "
        f"{order['payment_provider'] or 'the payment provider'}.",
    )
    st.checkbox(
        "Return the units to stock (full refunds only; becomes your default)",
        value=restock,
        key="orders_refund_restock",
    )
    st.form_submit_button("Refund", on_click=refund, args=(int(order["id"]), currency))
