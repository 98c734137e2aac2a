"""A commune's weekly self-check (W1–W16) and the plan items its W16 action lines become,
across a reopen and a re-finalize: a corrected or deleted line leaves the plan (withdrawn,
as a corrected finding is), a line back is restored, a corrected owner or deadline reaches
its item (domain/remediation.corrected_items); an action the commune reworded in its plan
stays one item (known by its first wording); after a merge the door opens the week's
draft of the merged commune."""
from __future__ import annotations

import pytest

from inspect_app.services import inspections as service

from .support import World

WEEKLY = "tu-kiem-tra-mot-cua-tuan"


@pytest.fixture
def world(app, client):
    return World(app, client)


def _weekly_with_actions(world, viec, owner="Chị Lan", han="2025-04-11"):
    record = world.start("ua", "NT", checklist=WEEKLY, kind="self_check", period="2025-W14")
    checklist = service.checklist_of(world.record(record))
    for criterion in checklist.criteria:  # evidence-required lines need a note to finalize
        if criterion.evidence_required:
            world.answer("ua", record, criterion.id, value=True, note="Đã kiểm tra")
    world.answer("ua", record, "W16", inputs={"viec": viec, "nguoi_phu_trach": owner, "han": han})
    world.finalize("ua", record)
    return record


def _reopen_and_change_w16(world, record, **inputs):
    service.reopen(world.store, world.scope("admin"), record, "Sửa dòng việc cần khắc phục")
    current = dict(world.record(record).answers["W16"].inputs)
    current.update(inputs)
    world.answer("ua", record, "W16", inputs=current)
    world.finalize("ua", record)


def _open_actions(world, record):
    return [i for i in world.record(record).items
            if i.source == "self_check_action" and i.status not in ("no_action", "done", "verified")]


def test_an_action_line_corrected_after_a_reopen_is_not_left_twice_in_the_plan(world):
    """The officer finalizes W16 with a typo ("Cập nhât niêm yết"), the record is reopened,
    she corrects the line and finalizes again. The plan should hold one open action, the
    corrected one. What happens: domain/remediation.generate_items adds the corrected line as a
    new item and nothing withdraws the line that is no longer in W16 (corrected_items only
    looks at source "finding"), so the plan shows both, each with its deadline and reminders."""
    record = _weekly_with_actions(world, "Cập nhât niêm yết 03 TTHC mới")
    assert [i.action for i in _open_actions(world, record)] == ["Cập nhât niêm yết 03 TTHC mới"]
    _reopen_and_change_w16(world, record, viec="Cập nhật niêm yết 03 TTHC mới")
    assert [i.action for i in _open_actions(world, record)] == ["Cập nhật niêm yết 03 TTHC mới"]


def test_an_action_line_deleted_after_a_reopen_leaves_the_plan(world):
    """Two action lines; after a reopen the officer deletes the second one (already done
    on the spot) and finalizes again. The plan should no longer list it as open. What
    happens: the item stays open (nothing withdraws self-check action items), and the
    commune's plan and reminders keep asking for a task the self-check no longer lists."""
    record = _weekly_with_actions(world, "Sửa máy lấy số\nSửa máy in")
    _reopen_and_change_w16(world, record, viec="Sửa máy lấy số")
    assert [i.action for i in _open_actions(world, record)] == ["Sửa máy lấy số"]
    printer = next(i for i in world.record(record).items if i.action == "Sửa máy in")
    assert printer.status == "no_action" and printer.history[-1].action == "withdrawn"
    # the line written again at a later re-finalize: the same item opens again, not a new one
    _reopen_and_change_w16(world, record, viec="Sửa máy lấy số\nSửa máy in")
    assert sorted(i.action for i in _open_actions(world, record)) == ["Sửa máy in",
                                                                       "Sửa máy lấy số"]
    assert [i.id for i in world.record(record).items if i.action == "Sửa máy in"] == [printer.id]


def test_a_deadline_corrected_after_a_reopen_reaches_the_plan(world):
    """W16 was finalized with the wrong deadline (11/03 instead of 11/04); after a reopen the
    officer corrects "Hạn hoàn thành" and finalizes again. The record now says 2025-04-11;
    the plan item of that line should too. What happens: generate_items skips a line that is
    already an item and never updates its owner or due, so the plan keeps 2025-03-11 (and
    shows the item overdue) while the finalized self-check says 2025-04-11."""
    record = _weekly_with_actions(world, "Sửa máy lấy số", han="2025-03-11")
    _reopen_and_change_w16(world, record, han="2025-04-11", nguoi_phu_trach="Anh Minh")
    assert world.record(record).answers["W16"].inputs["han"] == "2025-04-11"
    [item] = _open_actions(world, record)
    assert (item.due, item.owner) == ("2025-04-11", "Anh Minh")


def _actions(world, record):
    return [i for i in world.record(record).items if i.source == "self_check_action"]


def test_an_action_the_commune_reworded_in_its_plan_stays_one_item_after_a_reopen(world):
    """The officer finalizes the week's self-check with W16 "Sửa máy in"; in the plan she
    rewords that item's action more precisely ("Sửa máy in ở bộ phận một cửa"), as her own
    self-check's items allow. Later the record is reopened to correct W1 and finalized
    again, W16 untouched. She expects the plan to still hold one item for that action.
    What happened: domain/remediation.generate_items knew the lines already planned by the
    items' current ``action`` text, so the untouched W16 line no longer matches the
    reworded item and is added again: the plan shows the same job twice, each with its
    deadline and reminders."""
    record = _weekly_with_actions(world, "Sửa máy in")
    [item] = _actions(world, record)
    response = world.api["ua"].patch(item.id, base_rev=item.rev,
                                     action="Sửa máy in ở bộ phận một cửa")
    assert response.status_code == 200, response.get_data(as_text=True)
    service.reopen(world.store, world.scope("admin"), record, "Sửa câu trả lời W1")
    world.answer("ua", record, "W1", value=False, note="Thiếu 2 TTHC mới")
    world.finalize("ua", record)
    open_actions = [i.action for i in _actions(world, record) if i.status == "open"]
    assert open_actions == ["Sửa máy in ở bộ phận một cửa"], open_actions


def test_after_a_merge_the_door_opens_the_weeks_draft_and_no_second_one_starts(world,
                                                                             monkeypatch):
    """Xã Nông Thượng (NT) started its self-check of week 2025-W15 on Monday and has not
    finalized it; on Tuesday NT is merged into Xã Thiện Nghiệp (TN), whose officers now
    see and work on NT's records (docs/units.md). TN's officer scans the door QR on
    Wednesday to do this week's self-check and expects to land on the week's open draft
    — the commune's own work of this week — not on a form that starts another one.
    What happened: web/qr.door_target looked for drafts of exactly TN (``history=False``),
    finds none, and sends the officer to the start form; starting it
    (services/inspections.open_drafts, also ``history=False``) is not refused either, so
    the merged commune ends up with two self-checks of week 15."""
    import datetime as _dt

    from inspect_app.services import clock, commands
    from inspect_app.services import units as unit_service

    from .support import login

    wednesday = _dt.datetime(2025, 4, 9, 2, 0, tzinfo=_dt.UTC)  # of week 2025-W15
    monkeypatch.setattr(clock, "now_utc", lambda: wednesday)
    old = world.start("ua", "NT", checklist=WEEKLY, kind="self_check", period="2025-W15")
    unit_service.merge_units(world.store, ["NT"], "TN", "08/04/2025")
    client = login(world.app.test_client(), "ub")
    assert client.get(f"/inspections/{old}").status_code == 200  # TN's history now
    door = client.get("/units/TN/door")
    assert door.status_code == 302
    try:
        second = service.start(world.store, world.library, world.scope("ub"),
                               commands.StartRequest(unit="TN", checklist=WEEKLY,
                                                     period="2025-W15", kind="self_check"))
    except service.Conflict:
        second = None
    assert door.headers["Location"] == f"/inspections/{old}", door.headers["Location"]
    assert second is None, "a second self-check of 2025-W15 was started"
