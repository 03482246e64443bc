import tempfile
from datetime import UTC, datetime
from pathlib import Path

import streamlit as st

from admin_app import runtime, ui

WHATS = {
    "inventory": "Inventory (stock per location)",
    "products": "Catalogue",
    "store": "The whole store (zip of every table)",
}
MIME = {
    "csv": "text/csv",
    "json": "application/json",
    "zip": "application/zip",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

st.title("Export")
tenant = ui.open_store(owner_only=True, allow_closed=True)
services = runtime.current().services

what = st.selectbox(
    "What",
    [w for w in WHATS if w in services.export_whats],
    format_func=WHATS.get,
    key="export_what",
)
fmt, layout, bom = "zip", "apmt", False
if what != "store":
    fmt = st.selectbox("Format", services.export_formats, key="export_format")
    if what == "products":
        layout = st.selectbox(
            "Columns",
            services.export_layouts,
            key="export_layout",
            help="shopify: Shopify's product CSV layout",
        )
    if fmt == "csv":
        bom = st.checkbox("Start with a BOM (for Excel)", key="export_bom")

if st.button("Prepare the file", key="export_prepare", type="primary"):
    name = f"{tenant.store.slug}-{what}-{datetime.now(UTC):%Y%m%d-%H%M}.{fmt}"
    with (
        ui.reporting(),
        st.spinner("Exporting…"),
        tempfile.TemporaryDirectory(prefix="apmt-export-") as folder,
    ):
        out = Path(folder) / name
        rows = services.export(tenant, what, fmt, out, layout=layout, bom=bom)
        payload = out.read_bytes()
    st.success(f"{rows} rows exported.")
    st.download_button(
        f"Download {name}",
        payload,
        file_name=name,
        mime=MIME.get(fmt),
        on_click="ignore",
        key="export_download",
    )
