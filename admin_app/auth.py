"""Who is asking, and which store they may open: checked on every call.

The entry script turns the session cookie into a ``Viewer`` at the start of
every run. That decides which pages are built, but a page that is not built is
not a refusal: ``require_store`` and ``require_staff`` check again, against
the registry, before every service call (callbacks run before the entry
script, so they could otherwise act on a session revoked since the last run).

An owner may open the stores their account owns. Staff may open a store only
through a live support grant, and never the pages with shoppers' personal data.
"""

import hashlib
from dataclasses import dataclass, replace

from admin_app import runtime
from tenancy import SessionInvalid, StoreNotFound, Tenant, sessions, support
from tenancy import profile as profiles


class AccessDenied(Exception):
    """The viewer may not do this; the message says what they can do instead."""


@dataclass(frozen=True)
class StoreChoice:
    id: int
    label: str
    status: str


@dataclass(frozen=True)
class Viewer:
    """The signed-in person of one script run. Small, and holds no secret."""

    kind: str  # "owner" or "staff"
    name: str
    account_id: int | None = None
    staff_id: int | None = None
    staff_role: str | None = None
    stores: tuple[StoreChoice, ...] = ()
    store_id: int | None = None

    @property
    def is_staff(self):
        return self.kind == "staff"

    @property
    def actor(self):
        """How the audit log and stock ledger name this person."""
        if self.is_staff:
            return f"staff:{self.staff_id}"
        return f"account:{self.account_id}"

    @property
    def store(self):
        return next((s for s in self.stores if s.id == self.store_id), None)


# -- identifying --------------------------------------------------------------


def identify(platform, token):
    """The Viewer for a session token, or None when there is no live session."""
    session = _session(platform, token)
    if session is None:
        return None

    if session.account_id is not None:
        account = profiles.get_account(platform, session.account_id)
        stores = profiles.owned_stores(platform, account.id)
        return Viewer(
            kind="owner",
            name=account.owner_name,
            account_id=account.id,
            stores=tuple(StoreChoice(s.id, s.display_name, s.status) for s in stores),
        )

    staff = support.get_staff(platform, session.staff_id)
    if staff is None:
        return None
    choices = []
    for grant in support.active_grants(platform, staff.id):
        if all(c.id != grant.store_id for c in choices):
            store = platform.store(grant.store_id)
            choices.append(StoreChoice(store.id, store.display_name, store.status))
    return Viewer(
        kind="staff",
        name=staff.name,
        staff_id=staff.id,
        staff_role=staff.role,
        stores=tuple(choices),
    )


def choose_store(viewer, wanted):
    """The viewer with ``wanted`` as their store when it is one of theirs.

    Returns (viewer, refused): when ``wanted`` is not theirs, the first of
    their stores is chosen instead and ``refused`` is True.
    """
    if viewer is None or not viewer.stores:
        return viewer, False
    ids = [s.id for s in viewer.stores]
    if wanted in ids:
        return replace(viewer, store_id=wanted), False
    return replace(viewer, store_id=ids[0]), wanted is not None


# -- checking before each call ------------------------------------------------


def require_store(viewer, *, owner_only=False, allow_closed=False):
    """A Tenant for the viewer's store, after checking they may open it now.

    ``owner_only`` marks what support access does not cover: pages with
    shoppers' or owners' personal data, the store's settings and billing.
    ``allow_closed`` lets owners read a suspended or cancelled store (to
    export it before it goes).
    """
    context = runtime.current()
    platform = context.platform
    _recheck_session(platform, context, viewer)
    if viewer.store_id is None:
        raise AccessDenied("No store is open; choose one in the sidebar.")

    try:
        store = platform.store(int(viewer.store_id))
    except StoreNotFound:
        raise AccessDenied("That store is not one of yours.") from None
    if viewer.is_staff:
        if owner_only:
            raise AccessDenied(
                "Support access does not cover personal data or settings; ask "
                "the owner."
            )
        if support.active_grant(platform, viewer.staff_id, store.id) is None:
            raise AccessDenied(
                "Your support access to this store has ended; ask for it again "
                "on the Support access page."
            )
    elif store.account_id != viewer.account_id:
        raise AccessDenied("That store is not one of yours.")

    if store.status == "deleted":
        raise AccessDenied("This store was deleted.")
    if store.status != "active" and not allow_closed:
        raise AccessDenied(
            f"This store is {store.status}, so it cannot be changed. You can still "
            "export its data; write to support to reopen it."
        )
    return Tenant(platform, store)


def require_owner(viewer):
    """The viewer's account id, after checking their session is still live."""
    context = runtime.current()
    _recheck_session(context.platform, context, viewer)
    if viewer.is_staff:
        raise AccessDenied("This page is for store owners.")
    return viewer.account_id


def require_staff(viewer, *, admin=False):
    """The viewer's Staff record, after checking the session and the role."""
    context = runtime.current()
    _recheck_session(context.platform, context, viewer)
    staff = support.get_staff(context.platform, viewer.staff_id)
    if staff is None:
        raise AccessDenied("This page is for platform staff.")
    if admin and not staff.is_admin:
        raise AccessDenied("This needs a staff admin; ask one.")
    return staff


def current_token():
    """The raw session token of this run, for keeping it open on password change."""
    return runtime.current().read_token()


def session_handle(token):
    """The handle ``sessions.list_sessions`` gives the session of ``token``."""
    return hashlib.sha256((token or "").encode()).hexdigest()


def _recheck_session(platform, context, viewer):
    if viewer is None:
        raise AccessDenied("You are not logged in; log in again.")
    session = _session(platform, context.read_token())
    same = session is not None and (
        (viewer.is_staff and session.staff_id == viewer.staff_id)
        or (not viewer.is_staff and session.account_id == viewer.account_id)
    )
    if not same:
        raise AccessDenied("Your session has ended; reload the page and log in.")


def _session(platform, token):
    if not token or not isinstance(token, str):
        return None
    try:
        with platform.registry() as conn:
            return sessions.check_session(conn, token)
    except SessionInvalid:
        return None
