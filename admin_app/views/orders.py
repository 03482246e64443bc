import streamlit as st

from admin_app import data, store_reads, ui
from commerce.money import format_money

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
# TODO(#5): refunds through the order's payment provider.
st.button(
    "Refund…", key="orders_refund", disabled=True, help="Refunds arrive with payments."
)
