"""The PostgreSQL store reads documents back as written (schema 10: json, not jsonb, which
re-sorts an object's keys), and lists of units have one order whatever order a store
returns them in: the minutes' photos in the order taken, the audit's fields in the order
of the change, communes of one name in code order."""
from __future__ import annotations

import datetime as _dt
import io
import uuid

import pytest

from inspect_app.services import accounts, clock, commands, photos
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service

from .support import PASSWORD
from .support import login as form_login


def _jpeg(color) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(out, "JPEG")
    return out.getvalue()


@pytest.mark.parametrize("store_kind", ["memory", "postgres"])
def test_minutes_list_photos_of_one_criterion_in_the_order_they_were_taken(app, client,
                                                                           monkeypatch, store_kind):
    """An inspector's phone sends its queued photos of criterion 1.1 one after the other
    (the offline queue sends them within the same second). The card shows them in the
    order taken (first, second, third). The inspector opens the printed minutes (biên
    bản) and expects the photo annex to list them in that same order — as it does on the
    embedded store. On PostgreSQL the annex listed them in the order of their random ids
    instead: the record's ``photos`` map came back from JSONB with its keys re-sorted
    (shortest first, then byte order), and the annex broke ties of equal times on that
    map's order."""
    store = app.extensions["store"]
    unit_service.add_unit(store, "NT", "Xã Nông Thượng")
    accounts.create_user(store, "lead", "inspector", password=PASSWORD)
    lead = service.scope_for(store, store.get_user("lead"))
    record = service.start(store, app.extensions["checklists"], lead, commands.StartRequest(
        unit="NT", checklist="cchc-xa", period="2025", kind="inspection"))
    moment = _dt.datetime(2025, 4, 7, 1, 2, 3, tzinfo=_dt.UTC)
    monkeypatch.setattr(clock, "now_utc", lambda: moment)  # one second for the whole queue
    ids = iter(["zzzzPhoto001", "mmmmPhoto002", "aaaaPhoto003"])  # taken in this order
    monkeypatch.setattr(photos, "new_id", lambda: next(ids))
    for color in ((200, 0, 0), (0, 200, 0), (0, 0, 200)):
        photos.attach_to_answer(store, lead, record.id, "1.1", _jpeg(color), str(uuid.uuid4()))
    monkeypatch.undo()
    taken = store.get_inspection(record.id).answers["1.1"].photos
    assert taken == ["zzzzPhoto001", "mmmmPhoto002", "aaaaPhoto003"]  # the card's order

    form_login(client, "lead")
    html = client.get(f"/inspections/{record.id}/minutes").get_data(as_text=True)
    annex = html[html.index("photos-annex"):]
    shown = sorted(taken, key=annex.index)
    assert shown == taken, f"the minutes list the photos as {shown}, taken as {taken}"


@pytest.mark.parametrize("store_kind", ["memory", "postgres"])
def test_audit_lines_name_the_fields_of_a_change_in_the_order_written(app, store_kind):
    """An administrator merges commune B into C and opens the audit log: the line of the
    merge lists what it did — the units merged, into which, from which day, how many
    records and open items — in that order, as on the embedded store
    (``services.audit.changes``: "the fields an entry names, in order"). On PostgreSQL
    the entry's ``after`` map comes back from JSONB with its keys re-sorted by length
    (units, records, merged_on, open_items, merged_into), so the page shows the merge's
    facts jumbled: the count of records before whom the unit was merged into."""
    from inspect_app.services import audit

    store = app.extensions["store"]
    unit_service.add_unit(store, "B", "Xã Đồng Văn")
    unit_service.add_unit(store, "C", "Xã Đông Sơn")
    unit_service.merge_units(store, ["B"], "C", "2025-06-01", by="admin")
    entry = store.page_audit().rows[0]
    assert entry.action == "unit.merge"
    fields = [change.field for change in audit.changes(entry)]
    assert fields == ["units", "merged_into", "merged_on", "records", "open_items"], fields


@pytest.mark.parametrize("store_kind", ["memory", "postgres"])
def test_start_form_keeps_same_named_communes_in_one_order_after_an_edit(app, store_kind):
    """Two communes of a province share a name (``Xã Tân Lập`` of two districts, codes
    TL1 and TL2). An administrator corrects the address of TL1. The inspector opens the
    start form and expects the two to stay where they were, in code order, as the units
    page lists them (``page_units``: name, then code) and as the embedded store keeps
    them. On PostgreSQL the edited row comes back last from ``list_units`` (any order:
    the table's physical order) and ``start_options`` sorts by name alone, so after the
    edit TL2 is offered before TL1: the inspector who picks "the first Xã Tân Lập" as
    before now starts an inspection of the other commune."""
    import dataclasses

    store = app.extensions["store"]
    accounts.create_user(store, "lead", "inspector", password=PASSWORD)
    unit_service.add_unit(store, "TL1", "Xã Tân Lập")
    unit_service.add_unit(store, "TL2", "Xã Tân Lập")
    store.save_units([dataclasses.replace(store.get_unit("TL1"), address="Thôn Bản Đông")])
    assert [u.code for u in store.page_units().rows] == ["TL1", "TL2"]
    lead = service.scope_for(store, store.get_user("lead"))
    options = service.start_options(store, app.extensions["checklists"], lead, "inspection",
                                    _dt.date(2025, 4, 7))
    assert [u.code for u in options.units] == ["TL1", "TL2"]
