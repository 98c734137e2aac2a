"""People and units over time: the commune that carries a merged commune's self-check may
finalize it; finalized minutes keep the commune's representatives of their day."""
from __future__ import annotations

import uuid

import pytest

from inspect_app.services import accounts, commands
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service
from inspect_app.services.commands import UserEdit

from .support import PASSWORD


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

