"""Merge chains and renames: an imported merge into a merged unit gives the items to the end of
the chain, the confirmation counts a chain's records, a refused rename names the right day."""
from __future__ import annotations

import pytest

from inspect_app.domain.models import Inspection, RemediationItem, Unit
from inspect_app.services import Invalid
from inspect_app.services import units as unit_service
from inspect_app.storage.memory import MemoryStore

from .dashboard_province import SNAPSHOT


def record(store, rid: str, unit: str, *, items: tuple[str, ...] = (),
           finalized_at="2025-05-01T03:00:00+00:00") -> Inspection:
    inspection = Inspection(
        id=rid, unit=unit, checklist=SNAPSHOT, period="2025", kind="inspection",
        status="finalized", created_at="2025-04-01T03:00:00+00:00", finalized_at=finalized_at,
        score={"total": 80.0, "max": 100, "percent": 80.0, "band": "Khá",
               "sections": [], "criteria": []},
        items=[RemediationItem(id=f"{rid}-{n}", inspection=rid, unit=unit, criterion=None,
                               finding=f"Việc {n}", status=status)
               for n, status in enumerate(items, 1)])
    store.add_inspection(inspection)
    return inspection


@pytest.fixture
def store():
    found = MemoryStore()
    found.save_units([Unit("H", "Huyện"), Unit("A", "Xã An", parent="H"),
                      Unit("B", "Xã Bình", parent="H"), Unit("C", "Phường Mới", parent="H")])
    record(found, "ra", "A", items=("open",))
    record(found, "rb", "B", items=("open",))
    return found


def test_an_imported_merge_chain_gives_the_open_items_to_the_end_of_the_chain(store):
    """The admin imports the 2025 tree in one file: Xã An merged into Xã Bình, Xã Bình
    merged into Phường Mới (both on 01/07/2025). They expect An's open remediation item
    to be Phường Mới's to carry out, as a `units merge` would do (it refuses a merge into a
    merged unit: "merge into the end of its chain"). Instead the item is left with Xã Bình,
    a unit merged away that carries nothing any more."""
    unit_service.import_units(store, "code,name,merged_into,merged_on\n"
                                     "A,Xã An,B,01/07/2025\nB,Xã Bình,C,01/07/2025\n")
    assert store.get_unit("B").merged_into == "C"
    assert [i.unit for i in store.get_inspection("rb").items] == ["C"]
    assert [i.unit for i in store.get_inspection("ra").items] == ["C"]


def test_a_merge_into_a_unit_merged_earlier_by_import_gives_the_items_to_its_successor(store):
    """Xã Bình was merged into Phường Mới; the admin then imports a row merging Xã An into
    Xã Bình (the name the province's spreadsheet still uses). An's history ends in Phường
    Mới, so its open item should be Phường Mới's; it is given to Xã Bình, merged away."""
    unit_service.merge_units(store, ["B"], "C", "01/07/2025")
    unit_service.import_units(store, "code,name,merged_into,merged_on\nA,Xã An,B,01/07/2025\n")
    assert [i.unit for i in store.get_inspection("ra").items] == ["C"]


def test_the_merge_confirmation_counts_the_records_of_a_chain(store):
    """Xã An was merged into Xã Bình; the admin now merges Xã Bình into Phường Mới and
    looks at what follows ("Xem những gì sẽ chuyển"). An's record follows too (Phường
    Mới's page lists it afterwards) and An's moved open item is counted, but the record
    count says Xã Bình brings 1 record, not 2."""
    from inspect_app.services.inspections import following_merges

    unit_service.merge_units(store, ["A"], "B", "01/07/2025")
    plan = unit_service.plan_merge(store, ["B"], "C", "01/08/2025")
    assert plan.open_items == {"B": 2}
    unit_service.merge_units(store, ["B"], "C", "01/08/2025")
    listed = store.list_inspections(units=following_merges(store, {"unit": "C"})["units"])
    assert {s.id for s in listed} == {"ra", "rb"}  # C's page lists both
    assert plan.records == {"B": 2}


def test_a_second_rename_refused_names_the_day_of_the_last_renaming(store):
    """The admin renamed Phường Mới from 15/09/2025 and, by mistake, renames it again from
    the same day. The refusal should say the new name must take effect after the last
    renaming of 15/09/2025; it says "(14/09/2025)", so the admin, who typed 15/09/2025 (a
    day after 14/09/2025), is told their date is too early and what date was used wrongly."""
    unit_service.rename_unit(store, "C", "Phường Mới Một", "15/09/2025")
    with pytest.raises(Invalid) as refused:
        unit_service.rename_unit(store, "C", "Phường Mới Hai", "15/09/2025")
    assert "(15/09/2025)" in refused.value.message
