"""Two requests at one moment, on two worker processes sharing one TinyDB data folder: a
"check, then write" must not let a request in between be undone or missed. Each race is
made certain: right after the first request reads what it checks (a monkeypatched read),
the second one runs in another thread, and the first waits for it (up to half a second)
before it goes on: without one-at-a-time, the second is done in between; with it, the
second waits until the first has written."""
from __future__ import annotations

import sys
import threading

import pytest
from werkzeug.security import check_password_hash

from inspect_app.services import Invalid, accounts
from inspect_app.services import units as unit_service

from .support import PASSWORD, World, meeting_after

pytestmark = pytest.mark.tinydb

MERGE_DAY = "01/07/2025"


@pytest.fixture
def world(app, client):
    found = World(app, client)
    unit_service.add_unit(found.store, "MOI", "Xã Mới")
    return found


def after_read(monkeypatch, store, method: str, callers: tuple[str, ...], then):
    """``store.<method>`` returns what it read and then, on its first call made from one of
    the functions ``callers``, starts ``then()`` in another thread and waits up to half a
    second for it: another request landing right after that read. Returns the list that
    holds the thread once started (join it before the assertions)."""
    real = getattr(store, method)
    started: list[threading.Thread] = []

    def patched(*args, **kwargs):
        result = real(*args, **kwargs)
        if not started and sys._getframe(1).f_code.co_name in callers:
            other = threading.Thread(target=then)
            started.append(other)
            other.start()
            other.join(timeout=0.5)
        return result
    monkeypatch.setattr(store, method, patched)
    return started


def settled(started):
    for other in started:
        other.join(timeout=30)
    return bool(started)


def merge_nt(world):
    return lambda: unit_service.merge_units(world.store, ["NT"], "MOI", MERGE_DAY, by="admin")


def test_finalize_racing_a_merge_hands_its_new_items_to_the_unit_merged_into(world, monkeypatch):
    """An inspector finalizes NT's inspection while the admin merges NT into MOI. The
    merge found no open items on the draft (it had none yet); finalize read the merges
    before the merge was saved, so its new items go to NT, a unit that no longer exists,
    and MOI, which must now carry them out, never sees them."""
    record = world.start("lead", "NT")
    world.answer("lead", record, "1.6", value=False, note="Chưa ban hành kế hoạch")
    fired = after_read(monkeypatch, world.store, "unit_merges", ("finalize", "apply"),
                       merge_nt(world))
    world.finalize("lead", record)
    assert settled(fired) and world.store.get_unit("NT").merged_into == "MOI"
    items = [i for i in world.record(record).items if i.status == "open"]
    assert items
    assert {i.unit for i in items} == {"MOI"}, [(i.id, i.unit) for i in items]


def test_rename_racing_a_merge_does_not_undo_the_merge(world, monkeypatch):
    """The admin renames NT while a second admin merges NT into MOI: rename_unit read NT
    (not merged yet) and writes that whole copy back, so the merge silently disappears
    (NT gets new records again, its history no longer follows MOI) though the merge was
    reported done and its audit entry stands."""
    fired = after_read(monkeypatch, world.store, "get_unit", ("rename_unit",), merge_nt(world))
    try:
        unit_service.rename_unit(world.store, "NT", "Xã Nông Thượng Mới", "01/06/2025",
                                 by="admin")
    except Invalid:
        pass  # refusing the rename ("NT was merged") would be right
    assert settled(fired)
    assert world.store.get_unit("NT").merged_into == "MOI"
    assert "NT" in world.store.unit_merges()


def test_unit_correction_racing_a_merge_does_not_undo_the_merge(world, monkeypatch):
    """Correcting NT's address (add_unit on a stored code) while NT is merged into MOI:
    add_unit copies the unit it read before the merge and writes it back whole."""
    fired = after_read(monkeypatch, world.store, "list_units", ("add_unit",), merge_nt(world))
    unit_service.add_unit(world.store, "NT", "Xã Nông Thượng", address="Thôn 1", by="admin")
    assert settled(fired)
    assert world.store.get_unit("NT").merged_into == "MOI"


def test_start_racing_a_merge_makes_no_record_of_the_merged_unit(world, monkeypatch):
    """A unit user starts NT's self-check as NT is merged into MOI: start checked that NT
    is not merged before the merge was saved, and writes a new draft of a unit that "gets
    no new records" (the merge's count of records is already wrong)."""
    fired = after_read(monkeypatch, world.store, "get_unit", ("start",), merge_nt(world))
    try:
        world.start("ua", "NT", kind="self_check")
    except Invalid:
        pass  # "NT was merged into MOI ... start one of MOI" is the expected answer
    assert settled(fired) and world.store.get_unit("NT").merged_into == "MOI"
    drafts = [s for s in world.store.list_inspections(unit="NT") if s.kind == "self_check"]
    assert drafts == []


def test_own_password_change_racing_an_admin_reset_does_not_undo_the_reset(world, monkeypatch):
    """The admin resets ua's password (e.g. the account was shared) while a tab of ua
    changes it with the old one: change_own_password checked the old password before the
    reset and then writes its own, so the reset is undone: the one-time password the
    admin handed out does not work and "must change at next login" is gone."""
    admin = world.store.get_user("admin")
    one_time = "Tam-thoi-2025-xyz"

    def reset():
        accounts.reset_password(world.store, admin, "ua", one_time)
    fired = after_read(monkeypatch, world.store, "get_user", ("get_user",), reset)
    try:
        accounts.change_own_password(world.store, "ua", PASSWORD, "Moi-cua-ua-2025-abc")
    except Invalid:
        pass  # "the current password is wrong": the reset came first
    assert settled(fired)
    stored = world.store.get_user("ua")
    assert check_password_hash(stored.password_hash, one_time)
    assert stored.must_change_password


def test_two_administrators_demoting_each_other_at_once_leave_one(world, monkeypatch):
    """Two administrators, each taking away the other's role at the same moment: each
    checked that another active administrator remained (the other one) before either
    wrote, and the province was left with none. The check and the write go one at a time."""
    from inspect_app.services.commands import UserEdit

    accounts.create_user(world.store, "admin2", "admin", password=PASSWORD)
    monkeypatch.setattr(accounts, "_active_admins", meeting_after(accounts._active_admins))

    def demote(actor, target):
        try:
            accounts.edit_user(world.store, world.store.get_user(actor), target, UserEdit(
                full_name="", position="", role="inspector", unit=None, active=True))
        except Invalid:
            pass  # "the last active administrator" for the second one

    threads = [threading.Thread(target=demote, args=pair)
               for pair in (("admin", "admin2"), ("admin2", "admin"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    admins = [u.username for u in world.store.list_users() if u.role == "admin" and u.active]
    assert len(admins) == 1, admins
