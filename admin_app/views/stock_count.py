import streamlit as st

from admin_app import auth, data, edits, state, ui
from commerce import stock


def check(editor_key, rows, location_id):
    def work():
        tenant = auth.require_store(state.viewer())
        edited = st.session_state.get(editor_key, {}).get("edited_rows", {})
        lines = edits.count_lines(rows, edited, location_id)
        if not lines:
            ui.flash("info", "Type a counted quantity in at least one row first.")
            return 0
        differences = stock.preview_count(tenant, lines)
        st.session_state[state.COUNT_DIFFERENCES] = {
            "location_id": location_id,
            "lines": [(ln.variant_id, ln.counted) for ln in lines],
            "differences": [
                {
                    "sku": d.sku,
                    "location": d.location,
                    "on hand": d.on_hand,
                    "counted": d.counted,
                    "change": d.change,
                }
                for d in differences
            ],
        }
        return len(differences)

    ui.act(work)


def apply_count():
    pending = st.session_state[state.COUNT_DIFFERENCES]

    def work():
        tenant = auth.require_store(state.viewer())
        lines = [
            stock.CountLine(variant_id, pending["location_id"], counted)
            for variant_id, counted in pending["lines"]
        ]
        applied = stock.apply_count(tenant, lines, actor=state.viewer().actor)
        st.session_state[state.COUNT_DIFFERENCES] = None
        return len(applied)

    ui.act(work, done=lambda n: f"Count applied: {n} level(s) changed.")


def discard():
    st.session_state[state.COUNT_DIFFERENCES] = None


st.title("Stock count")
tenant = ui.open_store()

with ui.reporting():
    locations = {row[0]: row[1] for row in stock.list_locations(tenant)}
location_id = st.selectbox(
    "Location counted", list(locations), format_func=locations.get, key="count_location"
)

with ui.reporting():
    version = data.version(tenant)
    sheet = data.count_sheet(tenant.id, version, location_id, _tenant=tenant)

pending = st.session_state[state.COUNT_DIFFERENCES]
if pending and pending["location_id"] == location_id:
    st.subheader("Differences to apply")
    if not pending["differences"]:
        st.success("The count matches the books; nothing to change.")
        st.button("Start again", key="count_discard", on_click=discard)
    else:
        st.dataframe(pending["differences"], hide_index=True)
        apply_col, discard_col = st.columns(2)
        apply_col.button(
            "Apply count", key="count_apply", type="primary", on_click=apply_count
        )
        discard_col.button("Discard", key="count_discard", on_click=discard)
    st.stop()

if sheet.empty:
    st.info("Add a product first; there is nothing to count.")
    st.stop()

st.write(
    "Type what is on the shelf in **counted**; leave rows you did not count "
    "blank. Nothing changes until you check and apply."
)
editor_key = f"{state.COUNT_EDITOR}-{location_id}-{version}"
st.data_editor(
    sheet,
    key=editor_key,
    hide_index=True,
    disabled=["variant_id", "item", "on_hand"],
    column_config={
        "variant_id": None,
        "counted": st.column_config.NumberColumn("Counted", min_value=0, step=1),
    },
)
st.button(
    "Check differences",
    key="count_check",
    on_click=check,
    args=(editor_key, sheet.to_dict("records"), location_id),
)
