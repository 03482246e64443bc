"""No overselling: 100 shoppers at once after the last 10 units."""

from concurrent.futures import ThreadPoolExecutor

from commerce import checkout
from commerce.errors import InsufficientStock
from commerce.money import to_minor_units
from commerce.payments import complete_payment
from tests.storefront_svc.conftest import CUSTOMER


def test_ten_units_and_a_hundred_checkouts(harness):
    customer = checkout.check_customer(CUSTOMER)

    def buy(number):
        try:
            order = checkout.place_order(harness.tenant, {harness.variant: 1}, customer)
        except InsufficientStock:
            return None
        amount = to_minor_units(order.total, order.currency)
        outcome = complete_payment(
            harness.tenant, order.id, "stripe", f"pi_{number}", amount
        )
        return outcome.paid

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(buy, range(100)))

    assert results.count(True) == 10
    assert results.count(None) == 90
    assert harness.level() == (0, 0)
    assert len(harness.rows("orders", "status = 'paid'")) == 10
