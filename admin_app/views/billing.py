import streamlit as st

from admin_app import auth, runtime, state, ui
from tenancy import billing, credits

STATES = {
    "active": "Paid up",
    "past_due": "Payment failed",
    "suspended": "Suspended for non-payment",
    "cancelled": "Cancelled",
}


def _with_clover(call, *args, **kwargs):
    """Run a billing call with a Clover client of the platform's settings.

    Without settings the call gets no client: moving to the free plan and
    cancelling still work for a store that never had a card.
    """
    platform = runtime.current().platform
    if billing.load_settings(platform) is None:
        return call(platform, *args, clover=None, **kwargs)
    clover = billing.client(platform)
    try:
        return call(platform, *args, clover=clover, **kwargs)
    finally:
        clover.close()


def change_plan(code):
    def work():
        tenant = auth.require_store(state.viewer(), owner_only=True, allow_closed=True)
        return _with_clover(billing.subscribe, tenant.id, code,
                            actor=state.viewer().actor)  # fmt: skip

    ui.act(work, done=lambda status: f"You are on the {status.plan.title()} plan.")


def buy_pack(code):
    def work():
        tenant = auth.require_store(state.viewer(), owner_only=True)
        return _with_clover(billing.buy_credits, tenant.id, code,
                            actor=state.viewer().actor)  # fmt: skip

    ui.act(work, done=lambda paid: f"{paid.credits} AI credits added. Thank you.")


def cancel():
    def work():
        tenant = auth.require_store(state.viewer(), owner_only=True, allow_closed=True)
        return _with_clover(billing.cancel_subscription, tenant.id,
                            actor=state.viewer().actor)  # fmt: skip

    ui.act(
        work,
        done=lambda store: (
            f"Cancelled. The store's data is kept until {store.purge_after:%Y-%m-%d}."
        ),
    )


st.title("Billing")
tenant = ui.open_store(owner_only=True, allow_closed=True)
platform = runtime.current().platform
ui.show_flash()
if st.query_params.get("done") == "card":
    st.success("Card saved and plan changed; Clover charges it each month.")

with ui.reporting():
    status = billing.status(platform, tenant.id)
    plans = billing.list_plans(platform)
    packs = billing.list_packs(platform)
    balance = credits.get_balance(platform, tenant.id)
    payments = billing.list_payments(platform, tenant.id)
    card_form = billing.card_form(platform)

left, middle, right = st.columns(3)
left.metric("Plan", status.plan.title())
middle.metric("Billing", STATES[status.state])
right.metric("AI credits available", balance.available)

if status.state == "past_due":
    st.warning(
        f"Clover could not charge your card. The store stays open until "
        f"{status.grace_ends:%Y-%m-%d}; pay now or use another card to keep it so."
    )
elif status.state == "suspended":
    st.error(
        "The storefront is closed because the plan is unpaid. Nothing is deleted: "
        "pay now and it reopens at once."
    )
if card_form is None:
    st.info("Billing is not set up on this platform yet, so paid plans wait.")

st.subheader("Plans")
st.dataframe(
    [
        {
            "Plan": plan.name,
            "Price a month": f"{plan.monthly_price} {plan.currency}",
            "Products": str(plan.max_products or "unlimited"),
            "Locations": str(plan.max_locations or "unlimited"),
            "AI credits a month": str(plan.monthly_ai_credits),
        }
        for plan in plans
    ],
    hide_index=True,
)
st.caption(
    f"Card on file: {status.card_hint}" if status.has_card else "No card on file."
)

if card_form is not None and status.state != "cancelled":
    codes = [plan.code for plan in plans]
    chosen = st.selectbox(
        "Change plan to",
        codes,
        index=codes.index(status.plan) if status.plan in codes else 0,
        format_func=lambda code: code.title(),
    )
    paying = status.state in ("past_due", "suspended") and chosen == status.plan
    if status.has_card or chosen == "free":
        label = "Pay now and reopen" if paying else "Change plan"
        current = chosen == status.plan and not paying
        st.button(
            label, on_click=change_plan, args=(chosen,), type="primary",
            disabled=current, help="This is your plan." if current else None,
        )  # fmt: skip
    st.link_button(
        "Use a new card" if status.has_card else "Add a card and subscribe",
        f"/billing/card?plan={chosen}",
    )

st.subheader("AI credit packs")
st.caption(
    f"{balance.included} included this month, {balance.purchased} bought "
    "(bought credits never expire)."
)
if tenant.store.status == "active" and card_form is not None:
    for pack, column in zip(packs, st.columns(max(len(packs), 1)), strict=False):
        column.button(
            f"Buy {pack.name} for {pack.price} {pack.currency}",
            key=f"pack-{pack.code}",
            on_click=buy_pack,
            args=(pack.code,),
            disabled=not status.has_card,
        )
    if not status.has_card:
        st.caption("Add a card to buy credit packs.")

st.subheader("Payments")
if payments:
    st.dataframe(
        [
            {
                "Date": f"{p.paid_at or p.created_at:%Y-%m-%d %H:%M}",
                "For": (p.pack and f"{p.credits} AI credits")
                or f"{(p.plan or '').title()} plan",
                "Amount": f"{p.amount} {p.currency}",
                "Status": p.status,
                "Reference": p.clover_ref or "",
            }
            for p in payments
        ],
        hide_index=True,
    )
else:
    st.caption("No payments yet. Receipts are mailed to you as they are made.")

if status.state != "cancelled" and tenant.store.status != "cancelled":
    with st.expander("Cancel the subscription and close the store"):
        st.write(
            "Billing stops and the storefront closes. The store's data is kept for "
            "30 days, then deleted; reactivate before then to keep it."
        )
        sure = st.checkbox("I understand", key="billing_cancel_sure")
        st.button("Cancel and close the store", on_click=cancel, disabled=not sure)
