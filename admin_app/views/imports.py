import streamlit as st

from admin_app import auth, imports, runtime, state, ui

KINDS = {
    "products": "Products (a catalogue)",
    "stock": "Stock levels",
    "sales": "Sales history",
}


def undo(services):
    def work():
        tenant = auth.require_store(state.viewer())
        batch = st.session_state.import_undo_batch
        services.undo_import(tenant, batch, actor=state.viewer().actor)
        return batch

    ui.act(work, done=lambda batch: f"Import {batch} undone.")


st.title("Import")
tenant = ui.open_store()
services = runtime.current().services

# Sales files hold customers' details, which support access does not cover.
kinds = [k for k in KINDS if k != "sales" or not state.viewer().is_staff]
kind = st.selectbox("The file holds", kinds, format_func=KINDS.get, key="import_kind")
layout = st.selectbox(
    "Layout",
    services.import_formats.get(kind, ("auto",)),
    key="import_layout",
    help="auto recognises the file from its header",
)
upload = st.file_uploader("File", type=list(imports.UPLOAD_TYPES), key="import_file")
check_col, apply_col = st.columns(2)
checking = check_col.button(
    "Check (nothing is written)", key="import_check", disabled=upload is None
)
applying = apply_col.button(
    "Import", key="import_apply", type="primary", disabled=upload is None
)

if checking or applying:
    # NOTE: the import runs in the page body, not in a callback, so that its
    # progress bar appears under the buttons while the file is read.
    bar = st.progress(0.0, text=f"Reading {upload.name}…")

    def show_progress(done, total):
        bar.progress(
            min(1.0, done / total) if total else 1.0, text=f"Reading {upload.name}…"
        )

    with ui.reporting(), imports.saved_upload(upload) as path:
        auth.require_store(state.viewer(), owner_only=kind == "sales")
        report = services.importer(kind)(
            tenant,
            path,
            format=layout,
            dry_run=checking,
            actor=state.viewer().actor,
            progress=show_progress,
        )
    bar.empty()
    st.session_state[state.IMPORT_REPORT] = imports.summarise(report, kind=kind)

summary = st.session_state[state.IMPORT_REPORT]
if summary:
    verb = "would be" if summary["dry_run"] else "were"
    st.subheader(
        ("Check of " if summary["dry_run"] else "Import of ") + summary["file"]
    )
    created, updated, unchanged, rejected = st.columns(4)
    created.metric(f"Created ({verb})", summary["created"])
    updated.metric(f"Updated ({verb})", summary["updated"])
    unchanged.metric("Unchanged", summary["unchanged"])
    rejected.metric("Rows left out", summary["rejected_total"])
    if summary["batch"]:
        st.success(f"Imported as batch {summary['batch']}; you can undo it below.")
    elif summary["dry_run"]:
        st.info("Nothing was written. Import the file to apply these changes.")
    for warning in summary["warnings"]:
        st.warning(warning)
    if summary["rejected"]:
        st.write("Rows left out, and why:")
        st.dataframe(
            summary["rejected"],
            hide_index=True,
            column_order=["row", "column", "reason"],
        )

st.subheader("Past imports")
with ui.reporting():
    batches = services.list_batches(tenant)
if not batches:
    st.caption("No imports yet.")
    st.stop()
st.dataframe(
    [
        {
            "batch": b[0],
            "kind": b[1],
            "layout": b[2],
            "file": b[3],
            "status": b[4],
            "by": b[6],
            "at": b[7],
        }
        for b in batches
    ],
    hide_index=True,
)
undoable = [b[0] for b in batches if b[4] == "applied"]
if undoable:
    with st.form("import_undo"):
        st.selectbox("Batch to undo", undoable, key="import_undo_batch")
        st.form_submit_button("Undo this import", on_click=undo, args=(services,))
