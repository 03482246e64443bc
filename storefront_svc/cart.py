"""The cart, kept in a signed cookie.

NOTE: a cookie rather than a table: browsing and filling a cart write nothing
to the store's database, any gunicorn worker can serve the next request, and
an abandoned cart leaves no personal data behind to purge. The cookie holds
only variant ids and quantities (at most ``checkout.MAX_LINES`` lines, well
under the 4 KB a browser keeps); prices and stock are read again on every
view. The signature binds it to the store, so it is refused on another
store's host and cannot be edited by hand.
"""

from commerce.checkout import MAX_LINES, MAX_QUANTITY

COOKIE = "cart"
MAX_AGE = 30 * 24 * 3600
MAX_ID = 2**62  # well inside PostgreSQL's bigint


class CartCookie:
    def __init__(self, signer, *, secure):
        self._signer = signer
        self._secure = secure

    def read(self, req):
        """{variant id: quantity} from the request's cookie; {} if absent or bad."""
        cached = req.context.get("cart_items")
        if cached is not None:
            return cached

        items = {}
        raw = req.cookies.get(COOKIE)
        store = req.context.get("store")
        value = self._signer.loads(raw, _context(store)) if raw and store else None
        if isinstance(value, list):
            items = _items(value)
        req.context.cart_items = items
        return items

    def write(self, req, resp, items):
        """Replace the cart; an empty cart removes the cookie."""
        req.context.cart_items = dict(items)
        if not items:
            resp.unset_cookie(COOKIE, path="/")
            return

        value = [[vid, qty] for vid, qty in items.items()]
        resp.set_cookie(
            COOKIE,
            self._signer.dumps(value, _context(req.context.store)),
            max_age=MAX_AGE,
            path="/",
            secure=self._secure,
            http_only=True,
            same_site="Lax",
        )


def _context(store):
    return f"cart:{store.id}"


def _items(value):
    items = {}
    for pair in value[:MAX_LINES]:
        if (
            isinstance(pair, list)
            and len(pair) == 2
            and all(isinstance(n, int) and not isinstance(n, bool) for n in pair)
            and 0 < pair[0] < MAX_ID
            and 0 < pair[1] <= MAX_QUANTITY
        ):
            items[pair[0]] = pair[1]
    return items
