"""The plan's limits on products and locations, checked where they are made.

Limits are data (the registry's ``plans``); a store on a plan without a limit
is never checked. The check counts inside the caller's transaction, before
the insert. Two owners creating the last allowed product at the same instant
can both pass; the limit is a commercial one, so that is tolerated rather
than paid for with a lock on every insert.
"""

from commerce.errors import CommerceError
from tenancy import billing


class PlanLimitReached(CommerceError):
    """Creating this would take the store past its plan's limit."""

    def __init__(self, plan, what, limit, would_have):
        self.plan = plan
        self.what = what
        self.limit = limit
        super().__init__(
            f"the {plan} plan allows {limit} {what} and this would make "
            f"{would_have}; choose a larger plan on the Billing page or archive "
            f"some {what} first"
        )


def check_room(conn, tenant, *, products=0, locations=0):
    """Raise PlanLimitReached unless the plan has room for what is added."""
    if not products and not locations:
        return
    plan = billing.plan_limits(tenant.platform, tenant.store.plan)
    if plan is None:
        return
    wanted = (
        (products, plan.max_products, "products",
         "SELECT count(*) FROM products WHERE status <> 'archived'"),
        (locations, plan.max_locations, "locations",
         "SELECT count(*) FROM locations WHERE archived_at IS NULL"),
    )  # fmt: skip
    for adding, limit, what, count in wanted:
        if not adding or limit is None:
            continue
        (have,) = conn.execute(count).fetchone()
        if have + adding > limit:
            raise PlanLimitReached(plan.name, what, limit, have + adding)
