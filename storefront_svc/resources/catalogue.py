"""The store's home page, the catalogue and product pages (cached per store
and catalogue version, see cache.py)."""

from commerce import catalogue
from commerce.catalogue import ProductFilter

PER_PAGE = 24
FEATURED = 8
MAX_PAGE = 10_000
MAX_SEARCH = 200


class Home:
    def __init__(self, pages):
        self._pages = pages

    def on_get(self, req, resp):
        tenant = req.context.tenant
        query = ProductFilter(status="active", per_page=FEATURED)
        self._pages.render(
            req,
            resp,
            "store/home.html",
            "home",
            lambda: {"products": catalogue.list_products(tenant, query).items},
        )


class Products:
    def __init__(self, pages):
        self._pages = pages

    def on_get(self, req, resp):
        tenant = req.context.tenant
        query = ProductFilter(
            search=_text(req, "q"),
            status="active",
            vendor=_text(req, "vendor"),
            product_type=_text(req, "type"),
            tag=_text(req, "tag"),
            in_stock=req.get_param_as_bool("in_stock", blank_as_true=False) or None,
            page=req.get_param_as_int(
                "page", min_value=1, max_value=MAX_PAGE, default=1
            ),
            per_page=PER_PAGE,
        )

        def listing():
            return {
                "results": catalogue.list_products(tenant, query),
                "facets": catalogue.facet_values(tenant),
                "query": query,
            }

        key = ("products", query.search, query.vendor, query.product_type,
               query.tag, query.in_stock, query.page)  # fmt: skip
        self._pages.render(req, resp, "store/products.html", key, listing)

    def on_get_product(self, req, resp, handle):
        tenant = req.context.tenant
        self._pages.render(
            req,
            resp,
            "store/product.html",
            ("product", handle),
            lambda: {
                "product": catalogue.get_product(tenant, handle, published_only=True)
            },
        )


def _text(req, name):
    value = (req.get_param(name) or "").strip()
    return value[:MAX_SEARCH] or None
