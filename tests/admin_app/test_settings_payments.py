"""Payment providers, AI keys and refunds on the Settings and Orders pages."""

from decimal import Decimal

import pytest

from commerce import descriptions, payments

from .conftest import app_for, texts

STRIPE_KEY = "sk_test_" + "a" * 24 + "WXYZ"
WEBHOOK_SECRET = "whsec_" + "b" * 24 + "QRST"
AI_KEY = "sk-ant-" + "c" * 30 + "LMNO"


def settings_page(browser, who):
    at = app_for(browser, who.token).run()
    at.switch_page("views/settings.py").run()
    assert not at.exception, at.exception
    return at


def submit(at, label):
    button = next(b for b in at.button if b.label == label)
    button.click().run()
    assert not at.exception, at.exception
    return at


def page_text(at):
    parts = [m.value for m in at.markdown] + texts(at, "caption")
    return "\n".join(str(p) for p in parts)


def test_an_owner_connects_stripe_and_sees_only_hints(admin, browser, platform, owner):
    at = settings_page(browser, owner)
    assert "No payment provider is connected" in "".join(texts(at, "info"))

    at.text_input(key="settings_pay_stripe_secret_key").input(STRIPE_KEY)
    at.text_input(key="settings_pay_stripe_webhook_secret").input(WEBHOOK_SECRET)
    submit(at, "Connect Stripe")

    assert "Stripe is connected." in texts(at, "success")
    summary = payments.provider_summary(platform, owner.tenant.id)
    assert summary["providers"]["stripe"]["secret_key"] == "…WXYZ"
    shown = page_text(at)
    assert "…WXYZ" in shown
    assert STRIPE_KEY not in shown and WEBHOOK_SECRET not in shown
    assert at.text_input(key="settings_pay_stripe_secret_key").value == ""
    # The proto's PASSWORD type: the browser shows dots, never the secret.
    assert at.text_input(key="settings_pay_stripe_secret_key").proto.type == 1


def test_a_missing_field_says_which(admin, browser, platform, owner):
    at = settings_page(browser, owner)
    at.text_input(key="settings_pay_stripe_secret_key").input(STRIPE_KEY)
    submit(at, "Connect Stripe")

    assert any("webhook_secret is required" in e for e in texts(at, "error"))
    assert (
        "stripe"
        not in payments.provider_summary(platform, owner.tenant.id)["providers"]
    )


def test_an_owner_disconnects_a_provider(admin, browser, platform, owner):
    payments.configure_provider(
        platform, owner.tenant.id, "stripe",
        {"secret_key": STRIPE_KEY, "webhook_secret": WEBHOOK_SECRET},
    )  # fmt: skip
    at = settings_page(browser, owner)
    submit(at, "Disconnect")

    assert "Stripe is disconnected." in texts(at, "success")
    assert list(payments.provider_summary(platform, owner.tenant.id)["providers"]) == [
        "manual"
    ]


def test_the_restock_choice_is_saved(admin, browser, owner):
    at = settings_page(browser, owner)
    at.checkbox(key="settings_restock").check().run()

    assert payments.restock_on_refund(owner.tenant) is True


def test_an_owner_saves_and_removes_an_ai_key(admin, browser, platform, owner):
    at = settings_page(browser, owner)
    at.selectbox(key="settings_ai_provider").select("anthropic")
    at.text_input(key="settings_ai_key").input(AI_KEY)
    submit(at, "Save AI key")

    assert "Anthropic key saved (…LMNO)." in texts(at, "success")
    assert descriptions.list_store_ai_keys(platform, owner.tenant.id) == {
        "anthropic": "…LMNO"
    }
    assert AI_KEY not in page_text(at)

    submit(at, "Remove")
    assert descriptions.list_store_ai_keys(platform, owner.tenant.id) == {}


def test_another_owner_sees_nothing_of_this_stores_providers(
    admin, browser, platform, owner, other_owner
):
    payments.configure_provider(
        platform, owner.tenant.id, "stripe",
        {"secret_key": STRIPE_KEY, "webhook_secret": WEBHOOK_SECRET},
    )  # fmt: skip
    descriptions.set_store_ai_key(platform, owner.tenant.id, "openai", AI_KEY)
    at = settings_page(browser, other_owner)

    assert "…WXYZ" not in page_text(at)
    assert "…LMNO" not in page_text(at)
    at.text_input(key="settings_pay_stripe_secret_key").input("sk_other_" + "d" * 20)
    at.text_input(key="settings_pay_stripe_webhook_secret").input("whsec_" + "e" * 20)
    submit(at, "Connect Stripe")

    mine = payments.provider_summary(platform, owner.tenant.id)["providers"]
    assert mine["stripe"]["secret_key"] == "…WXYZ"
    assert (
        "stripe"
        in payments.provider_summary(platform, other_owner.tenant.id)["providers"]
    )


# -- refunds on the Orders page ------------------------------------------------


@pytest.fixture
def paid_order(owner):
    """A manual order, paid, of 20.00 USD."""
    with owner.tenant.transaction() as conn:
        order_id = conn.execute(
            """INSERT INTO orders (number, token, source, kind, status, currency,
                   subtotal, total, placed_at, paid_at, payment_provider,
                   payment_ref)
               VALUES ('1001', 'tok-1001', 'storefront', 'sale', 'paid', 'USD',
                       20, 20, now(), now(), 'manual', 'manual-1001')
               RETURNING id"""
        ).fetchone()[0]
    return order_id


def test_an_owner_refunds_part_of_an_order(admin, browser, owner, paid_order):
    at = app_for(browser, owner.token).run()
    at.switch_page("views/orders.py").run()
    assert not at.exception, at.exception
    at.text_input(key="orders_refund_amount").input("5.00")
    submit(at, "Refund")

    assert any("5.00 USD refunded" in s for s in texts(at, "success")), texts(
        at, "error"
    )
    with owner.tenant.connection() as conn:
        status, refunded = conn.execute(
            "SELECT status, refunded_total FROM orders WHERE id = %s", (paid_order,)
        ).fetchone()
    assert (status, refunded) == ("partially_refunded", Decimal("5.00"))


def test_the_refund_restock_choice_reaches_the_store(
    admin, browser, owner, paid_order, monkeypatch
):
    calls = []
    monkeypatch.setattr(payments, "refund_order", lambda *a, **k: calls.append((a, k)))
    at = app_for(browser, owner.token).run()
    at.switch_page("views/orders.py").run()
    at.checkbox(key="orders_refund_restock").check()
    submit(at, "Refund")

    assert payments.restock_on_refund(owner.tenant) is True
    ((args, kwargs),) = calls
    assert args[0].id == owner.tenant.id and args[1] == paid_order
    assert kwargs["amount"] is None


def test_a_bad_amount_says_how_to_write_it(admin, browser, owner, paid_order):
    at = app_for(browser, owner.token).run()
    at.switch_page("views/orders.py").run()
    at.text_input(key="orders_refund_amount").input("five")
    submit(at, "Refund")

    assert any("is not an amount" in e for e in texts(at, "error"))
