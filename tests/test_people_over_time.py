"""People and units over time: the commune that carries a merged commune's self-check may
finalize it; finalized minutes keep the commune's representatives of their day."""
from __future__ import annotations

import uuid

import pytest

from inspect_app.services import accounts, commands
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service
from inspect_app.services.commands import UserEdit

from .support import PASSWORD, logged_in, page_text


def op() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def people(app):
    store = app.extensions["store"]
    unit_service.add_unit(store, "NT", "Xã Nông Thượng")
    unit_service.add_unit(store, "TN", "Xã Thiện Nghiệp")
    accounts.create_user(store, "quantri", "admin", password=PASSWORD, full_name="Quản Trị")
    accounts.create_user(store, "thanhtra", "inspector", password=PASSWORD,
                         full_name="Nguyễn Ánh Xuân", position="Trưởng phòng CCHC")
    accounts.create_user(store, "canbo.nt", "unit", unit="NT", password=PASSWORD,
                         full_name="Hoàng Văn Thạc", position="Công chức Văn phòng")
    accounts.create_user(store, "canbo.tn", "unit", unit="TN", password=PASSWORD,
                         full_name="Phạm Thị Long", position="Công chức Tư pháp")
    return store


def scope_of(store, username):
    return service.scope_for(store, store.get_user(username))


def start(app, by, unit, kind="inspection", period="2025"):
    store, library = app.extensions["store"], app.extensions["checklists"]
    return service.start(store, library, scope_of(store, by), commands.StartRequest(
        unit=unit, checklist="cchc-xa", period=period, kind=kind, team=[],
        another=kind == "inspection")).id


def finalize(store, by, record):
    return service.finalize(store, scope_of(store, by), record, commands.finalize_op(
        {"op_id": op(), "allow_unanswered": True}))


def admin_edit(store, username, **change):
    user = store.get_user(username)
    fields = {"full_name": user.full_name, "position": user.position, "email": user.email,
              "role": user.role, "unit": user.unit or "", "active": user.active, **change}
    return accounts.edit_user(store, store.get_user("quantri"), username, UserEdit(
        full_name=fields["full_name"], position=fields["position"], email=fields["email"],
        role=fields["role"], unit=fields["unit"], active=fields["active"], seen=None))


def test_successor_commune_can_finalize_the_self_check_it_continues(app, people):
    """What happened: Xã Thiện Nghiệp's officer had started the 2025 self-check when the commune is
    merged into Xã Nông Thượng. Nông Thượng's officer Hoàng Văn Thạc is offered that draft
    to continue ("a draft of a unit merged into this one is its work now") and may fill
    it, but finalizing it is refused: the work can never be closed by the commune that
    carries it (only an administrator could)."""
    record = start(app, "canbo.tn", "TN", kind="self_check")
    unit_service.merge_units(people, ["TN"], "NT", "01/07/2025")
    officer = scope_of(people, "canbo.nt")
    drafts = service.open_drafts(people, officer, unit="NT", checklist="cchc-xa",
                                 period="2025", kind="self_check")
    assert [d.id for d in drafts] == [record]  # offered to continue, and editable
    assert officer.can_edit(people.get_inspection(record))
    finalize(people, "canbo.nt", record)
    assert people.get_inspection(record).status == "finalized"

def test_finalized_minutes_keep_the_commune_representatives_of_their_day(app, people):
    """What happened: the province inspects Xã Nông Thượng with its officer Hoàng Văn Thạc
    present and finalizes; the printed minutes list him among the commune's
    representatives. Months later the administrator moves him to Xã Thiện Nghiệp and a new
    officer joins Nông Thượng. Reprinting the finalized minutes (the signed paper's copy)
    should still name the people of that day; instead Hoàng Văn Thạc had vanished from
    them and the newcomer, who was never there, was printed as the commune's
    representative (the minutes named the unit's officers of today)."""
    record = start(app, "thanhtra", "NT")
    finalize(people, "thanhtra", record)
    admin = logged_in(app, "quantri")
    before = page_text(admin.get(f"/inspections/{record}/minutes"))
    assert "Hoàng Văn Thạc" in before
    admin_edit(people, "canbo.nt", unit="TN")
    accounts.create_user(people, "canbo.moi", "unit", unit="NT", password=PASSWORD,
                         full_name="Lý Thị Mới")
    after = page_text(admin.get(f"/inspections/{record}/minutes"))
    assert "Hoàng Văn Thạc" in after and "Lý Thị Mới" not in after, (
        "the finalized minutes' representatives follow today's users of the unit")


def test_minutes_finalized_again_after_a_reopen_name_that_days_representatives(app, people):
    """What happened: with the representatives of today printed on every finalized minutes,
    a record reopened and finalized again could not say who was there on either day; now
    the second finalizing takes that day's officers, and the draft between shows today's."""
    record = start(app, "thanhtra", "NT")
    finalize(people, "thanhtra", record)
    service.reopen(people, scope_of(people, "thanhtra"), record, "Sửa số liệu")
    assert people.get_inspection(record).representatives is None
    admin_edit(people, "canbo.nt", unit="TN")
    accounts.create_user(people, "canbo.moi", "unit", unit="NT", password=PASSWORD,
                         full_name="Lý Thị Mới")
    admin = logged_in(app, "quantri")
    draft = page_text(admin.get(f"/inspections/{record}/minutes"))
    assert "Lý Thị Mới" in draft and "Hoàng Văn Thạc" not in draft
    finalize(people, "thanhtra", record)
    assert people.get_inspection(record).representatives == [
        {"name": "Lý Thị Mới", "position": ""}]


def test_minutes_finalized_before_representatives_were_kept_name_todays_officers(app, people):
    """A record finalized before the representatives were stored on it (nothing stored)
    keeps naming the unit's officers of today, as its minutes always did."""
    record = start(app, "thanhtra", "NT")
    finalize(people, "thanhtra", record)
    people.update_inspection(record, lambda i: setattr(i, "representatives", None))
    accounts.create_user(people, "canbo.moi", "unit", unit="NT", password=PASSWORD,
                         full_name="Lý Thị Mới")
    printed = page_text(logged_in(app, "quantri").get(f"/inspections/{record}/minutes"))
    assert "Hoàng Văn Thạc" in printed and "Lý Thị Mới" in printed
