"""Cached reads for the pages, keyed by store.

NOTE: a Streamlit cache is shared by every user of the process, and arguments
whose names start with an underscore are left out of its key. So every
function here takes the store id as an ordinary argument, checks that the
(unhashed) ``_tenant`` handle is that store, and keys catalogue data on the
store's catalogue version as well, so an edit shows at once. Callers get a
``_tenant`` only from ``auth.require_store``.
"""

import pandas as pd
import streamlit as st

from admin_app import store_reads
from commerce import analytics, catalogue, stock


def version(tenant):
    """A number that changes whenever the store's catalogue or stock changes."""
    return catalogue.catalogue_version(tenant)


@st.cache_data(ttl=60, max_entries=500, show_spinner=False)
def overview(store_id, catalogue_version, _tenant):
    _same_store(store_id, _tenant)
    return store_reads.overview_figures(_tenant)


@st.cache_data(ttl=300, max_entries=500, show_spinner=False)
def variants(store_id, catalogue_version, search, status, page, _tenant):
    """One page of products as variant rows, and the number of pages."""
    _same_store(store_id, _tenant)
    query = catalogue.ProductFilter(
        search=search or None, status=status or None, page=page, per_page=50
    )
    result = catalogue.list_products(_tenant, query)
    rows = [
        {
            "variant_id": v.id,
            "product_id": p.id,
            "product": p.title,
            "status": p.status,
            "variant": v.title,
            "sku": v.sku,
            "price": float(v.price),
            "unit_cost": None if v.unit_cost is None else float(v.unit_cost),
            "low_stock_threshold": v.low_stock_threshold,
            "on_hand": v.on_hand,
            "available": v.available,
        }
        for p in result.items
        for v in p.variants
    ]
    return pd.DataFrame(rows, columns=VARIANT_COLUMNS), result.pages


VARIANT_COLUMNS = [
    "variant_id",
    "product_id",
    "product",
    "status",
    "variant",
    "sku",
    "price",
    "unit_cost",
    "low_stock_threshold",
    "on_hand",
    "available",
]


@st.cache_data(ttl=300, max_entries=500, show_spinner=False)
def variant_choices(store_id, catalogue_version, _tenant):
    """(variant id, label) of every live variant, for pickers."""
    _same_store(store_id, _tenant)
    choices, page = [], 1
    while True:
        result = catalogue.list_products(
            _tenant, catalogue.ProductFilter(page=page, per_page=100)
        )
        for product in result.items:
            if product.status == "archived":
                continue
            for v in product.variants:
                label = f"{product.title} / {v.title}" + (
                    f" ({v.sku})" if v.sku else ""
                )
                choices.append((v.id, label))
        if page >= result.pages:
            return choices
        page += 1


@st.cache_data(ttl=300, max_entries=500, show_spinner=False)
def stock_table(store_id, catalogue_version, _tenant):
    """On hand per variant and location, one column per location."""
    _same_store(store_id, _tenant)
    levels = stock.stock_levels(_tenant)
    frame = pd.DataFrame(
        [
            (lv.variant_id, lv.sku, lv.location, lv.on_hand, lv.reserved)
            for lv in levels
        ],
        columns=["variant_id", "sku", "location", "on_hand", "reserved"],
    )
    return frame


@st.cache_data(ttl=300, max_entries=500, show_spinner=False)
def count_sheet(store_id, catalogue_version, location_id, _tenant):
    """Every live variant with what the books say is on hand at a location."""
    _same_store(store_id, _tenant)
    on_hand = {
        lv.variant_id: lv.on_hand
        for lv in stock.stock_levels(_tenant)
        if lv.location_id == location_id
    }
    choices = variant_choices(store_id, catalogue_version, _tenant)
    return pd.DataFrame(
        [(vid, label, on_hand.get(vid, 0), None) for vid, label in choices],
        columns=["variant_id", "item", "on_hand", "counted"],
    ).astype({"counted": "Int64"})


@st.cache_data(ttl=300, max_entries=500, show_spinner=False)
def low_stock(store_id, catalogue_version, _tenant):
    _same_store(store_id, _tenant)
    return pd.DataFrame(
        stock.low_stock(_tenant),
        columns=["variant_id", "sku", "product", "threshold", "available"],
    )


@st.cache_data(ttl=30, max_entries=500, show_spinner=False)
def orders(store_id, status, page, _tenant):
    _same_store(store_id, _tenant)
    rows, total = store_reads.list_orders(_tenant, status=status, page=page)
    return pd.DataFrame(rows), total


def _same_store(store_id, tenant):
    if tenant.id != store_id:
        raise ValueError(f"cache key store {store_id} is not tenant {tenant.id}")


@st.cache_data(ttl=300, max_entries=500, show_spinner=False)
def product_choices(store_id, catalogue_version, _tenant):
    """(product id, title) of every product not archived, for pickers."""
    _same_store(store_id, _tenant)
    choices, page = [], 1
    while True:
        result = catalogue.list_products(
            _tenant, catalogue.ProductFilter(page=page, per_page=100)
        )
        choices.extend((p.id, p.title) for p in result.items if p.status != "archived")
        if page >= result.pages:
            return choices
        page += 1


# -- analytics ------------------------------------------------------------------


@st.cache_resource(max_entries=200, show_spinner=False)
def analytics_engine(store_id, timezone, _tenant):
    """The store's ``StoreAnalytics`` (its DuckDB mirror), one per store.

    NOTE: a resource, not data: it holds a DuckDB connection and refreshes
    itself. It is keyed by store id (and time zone, which the mirror's days
    depend on), and serialises its calls, so sharing it across sessions of
    the same store is safe.
    """
    _same_store(store_id, _tenant)
    return analytics.StoreAnalytics(_tenant)


_refreshed_for = {}
"""Store id -> the version its engine last refreshed for (shared by sessions)."""


def _engine_at(store_id, version, tenant):
    """The store's engine, refreshed first when the store changed since.

    ``version`` moves with every sale (a sale changes stock), so figures
    follow a new order at once instead of after the engine's own max age.
    """
    engine = analytics_engine(store_id, tenant.store.timezone, tenant)
    if _refreshed_for.get(store_id) != version:
        engine.refresh()
        _refreshed_for[store_id] = version
    return engine


@st.cache_data(ttl=60, max_entries=500, show_spinner=False)
def analytics_overview(store_id, version, start, end, days, location_id, _tenant):
    """Every figure of ``start``..``end``; a missing end is the store's today,
    a missing start ``days`` days before the end."""
    _same_store(store_id, _tenant)
    engine = _engine_at(store_id, version, _tenant)
    period = engine.period(start, end, days)
    return engine.overview(period, location_id=location_id)


@st.cache_data(ttl=60, max_entries=500, show_spinner=False)
def analytics_sales_by(store_id, version, start, end, dimension, _tenant):
    """The whole breakdown table of one dimension, for showing and download."""
    _same_store(store_id, _tenant)
    engine = _engine_at(store_id, version, _tenant)
    return engine.sales_by(engine.period(start, end), dimension)


@st.cache_data(ttl=60, max_entries=500, show_spinner=False)
def analytics_inventory(
    store_id, version, start, end, location_id, vendors, types, _tenant
):
    """Every variant's inventory figures, of the vendors and types chosen."""
    _same_store(store_id, _tenant)
    engine = _engine_at(store_id, version, _tenant)
    rows = engine.inventory(engine.period(start, end), location_id=location_id)
    if vendors:
        rows = rows[rows["vendor"].isin(vendors)]
    if types:
        rows = rows[rows["product_type"].isin(types)]
    return rows.reset_index(drop=True)


@st.cache_data(ttl=300, max_entries=500, show_spinner=False)
def locations(store_id, _tenant):
    """(location id, name) of the store's open locations."""
    _same_store(store_id, _tenant)
    return [(row[0], row[1]) for row in stock.list_locations(_tenant)]
