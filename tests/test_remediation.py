"""Remediation plans (issue 5): items from every kind of shortcoming, the write protocol on
items (replays, conflicts, history), who may do what, evidence for done, verification,
overdue in Vietnam's time zone, the previous plan's figures for criterion 1.5, and the
pages with and without JavaScript."""
from __future__ import annotations

import datetime as _dt
import io

import pytest

from inspect_app.domain.models import Answer, Inspection
from inspect_app.domain.remediation import generate_items, plan_groups
from inspect_app.domain.scoring import score
from inspect_app.i18n import formatting
from inspect_app.services import clock, commands, remediation
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service

from .factories import RATIO, criterion_data, make_checklist
from .support import World, form_fields, jpeg, login, op

PASSWORD = "mat-khau-dai"
UTC = _dt.UTC


# ---------------------------------------------------------------- generation (pure rules)

def _record(checklist, answers, kind="inspection", items=()) -> Inspection:
    return Inspection(id="rec1", unit="NT", checklist={}, period="2025-W14", kind=kind,
                      answers={k: Answer(rev=1, **v) for k, v in answers.items()}, items=list(items))


def _generate(checklist, record, include_unanswered=False):
    card = score(checklist, record.answers_content())
    return generate_items(record, checklist, card, include_unanswered=include_unanswered,
                          finalized_on=_dt.date(2025, 4, 7), at="2025-04-07T02:00:00+00:00",
                          by="lead", number_text=formatting.number)


CHECKLIST = make_checklist(
    criterion_data(id="1.6", text="Ban hành kế hoạch tuyên truyền", remedy="Ban hành kế hoạch",
                   remedy_owner="Phòng Văn hóa - Xã hội", remedy_days=30),
    criterion_data(id="3.5", text="Hồ sơ đúng hạn", remedy="Rà soát hồ sơ quá hạn",
                   remedy_days=15, **RATIO),
    criterion_data(id="1.1", text="Kế hoạch CCHC năm"),
    criterion_data(id="9.1", text="Điểm thưởng", type="bonus", points=2),
    criterion_data(id="9.2", text="Điểm trừ", type="penalty", points=5, remedy="Khắc phục vi phạm"),
    criterion_data(id="i1", text="Ghi chú", type="info", points=None),
)


def test_partial_and_fail_become_items_prefilled_from_the_checklist():
    record = _record(CHECKLIST, {
        "1.6": {"value": False, "note": "Chưa ban hành kế hoạch tuyên truyền năm 2025"},
        "3.5": {"inputs": {"early": 10, "ontime": 86, "late": 4}},  # 96 % → 3 of 5: partial
        "1.1": {"value": True},
    })
    items = {i.criterion: i for i in _generate(CHECKLIST, record)}
    assert set(items) == {"1.6", "3.5"}
    fail, partial = items["1.6"], items["3.5"]
    assert fail.finding == "Chưa ban hành kế hoạch tuyên truyền năm 2025"  # the inspector's note
    assert (fail.action, fail.owner, fail.due) == ("Ban hành kế hoạch", "Phòng Văn hóa - Xã hội",
                                                   "2025-05-07")
    assert partial.finding == "Chưa đạt đầy đủ: Hồ sơ đúng hạn (đạt 96,00%)"  # as 88,95%
    assert (partial.action, partial.owner, partial.due) == ("Rà soát hồ sơ quá hạn", "", "2025-04-22")
    assert {i.status for i in items.values()} == {"open"}
    assert [i.id for i in items.values()] == ["rec1-1", "rec1-2"]
    assert items["1.6"].history[0].action == "created" and items["1.6"].history[0].by == "lead"


def test_unanswered_criteria_become_items_only_when_finalized_with_allow_unanswered():
    record = _record(CHECKLIST, {"1.6": {"value": True}, "3.5": {"inputs": {"early": 1, "ontime": 1,
                                                                            "late": 0}}})
    assert _generate(CHECKLIST, record) == []
    items = _generate(CHECKLIST, record, include_unanswered=True)
    assert [(i.criterion, i.finding) for i in items] == [("1.1", "Chưa đánh giá: Kế hoạch CCHC năm")]


def test_a_penalty_is_a_shortcoming_a_bonus_and_an_info_line_are_not():
    record = _record(CHECKLIST, {"1.6": {"value": True}, "1.1": {"value": True},
                                 "3.5": {"inputs": {"early": 1, "ontime": 1, "late": 0}},
                                 "9.1": {"value": 1}, "9.2": {"value": 0.5},
                                 "i1": {"value": "ghi chép"}})
    items = _generate(CHECKLIST, record)
    assert [(i.criterion, i.finding, i.action) for i in items] == [
        ("9.2", "Bị trừ 0,5 điểm: Điểm trừ", "Khắc phục vi phạm")]


WEEKLY_W16 = make_checklist(
    criterion_data(id="W15", text="Vệ sinh khu vực một cửa", remedy="Dọn vệ sinh"),
    criterion_data(id="W16", text="Việc cần khắc phục tuần tới", type="info", points=None,
                   inputs={"viec": {"label": "Việc", "type": "text"},
                           "nguoi": {"label": "Người phụ trách", "type": "text"},
                           "han": {"label": "Hạn", "type": "date"}},
                   actions={"action": "viec", "owner": "nguoi", "due": "han"}),
    kind="self_check")


def test_each_line_of_the_weekly_actions_becomes_an_item():
    record = _record(WEEKLY_W16, {"W15": {"value": True}, "W16": {"inputs": {
        "viec": "Bổ sung phiếu xin lỗi cho 02 hồ sơ trễ hạn\n\n- Cập nhật niêm yết 03 TTHC mới\n  ",
        "nguoi": "Chị Lan", "han": "2025-04-11"}}}, kind="self_check")
    items = _generate(WEEKLY_W16, record)
    assert [(i.action, i.owner, i.due, i.source, i.criterion) for i in items] == [
        ("Bổ sung phiếu xin lỗi cho 02 hồ sơ trễ hạn", "Chị Lan", "2025-04-11", "self_check_action", "W16"),
        ("Cập nhật niêm yết 03 TTHC mới", "Chị Lan", "2025-04-11", "self_check_action", "W16")]
    assert items[0].finding == "Việc cần khắc phục tuần tới (2025-W14)"
    # finalizing again (after a reopen and a new line) adds only the new line
    record.items = items
    record.answers["W16"].inputs["viec"] += "\nSửa máy lấy số"
    again = _generate(WEEKLY_W16, record)
    assert [(i.action, i.id) for i in again] == [("Sửa máy lấy số", "rec1-3")]


def test_weekly_actions_without_owner_or_valid_date_still_become_items():
    record = _record(WEEKLY_W16, {"W15": {"value": True}, "W16": {"inputs": {"viec": "Sửa máy in"}}},
                     kind="self_check")
    [item] = _generate(WEEKLY_W16, record)
    assert (item.action, item.owner, item.due) == ("Sửa máy in", "", None)


def test_plan_groups_put_overdue_first_then_by_status_and_due():
    record = _record(CHECKLIST, {"1.6": {"value": False}, "1.1": {"value": False},
                                 "3.5": {"inputs": {"early": 1, "ontime": 0, "late": 1}}})
    items = _generate(CHECKLIST, record)
    items[0].status = "in_progress"
    items[2].due = None
    groups = plan_groups(items, _dt.date(2025, 4, 30))
    assert [(key, [i.criterion for i in group]) for key, group in groups] == [
        ("overdue", ["3.5"]), ("in_progress", ["1.6"]), ("open", ["1.1"])]


# ---------------------------------------------------------------- a world of people and records


@pytest.fixture
def world(app, client):
    return World(app, client)


@pytest.fixture
def plan(world):
    """A finalized inspection of NT by "lead" (team: "mate"): 1.6 failed with a note; its
    item is ``plan["item"]``."""
    record = world.start("lead", "NT", team=["mate"])
    world.answer("lead", record, "1.6", value=False, note="Chưa ban hành kế hoạch tuyên truyền")
    world.finalize("lead", record)
    item = next(i for i in world.record(record).items if i.criterion == "1.6")
    return {"record": record, "item": item.id}


@pytest.fixture
def pin(monkeypatch):
    """Pin the clock: ``pin(datetime)`` makes it that moment (UTC) for every service."""
    def set_moment(moment: _dt.datetime):
        monkeypatch.setattr(clock, "now_utc", lambda: moment)
    return set_moment


# ---------------------------------------------------------------- finalizing through the services

def test_refinalizing_after_a_reopen_never_duplicates_items(world, plan):
    before = [(i.id, i.criterion) for i in world.record(plan["record"]).items]
    service.reopen(world.store, world.scope("lead"), plan["record"], "Sửa điểm 1.2")
    world.answer("lead", plan["record"], "1.2", inputs={"planned": 20, "done": 16})
    world.finalize("lead", plan["record"])
    after = [(i.id, i.criterion) for i in world.record(plan["record"]).items]
    assert after[:len(before)] == before
    assert len(after) == len(before) + (0 if "1.2" in dict(before).values() else 1)
    assert len({c for _, c in after}) == len(after)  # one item per criterion


def test_a_shortcoming_corrected_after_a_reopen_is_withdrawn_from_the_plan(world, plan):
    """1.6 was finalized as "No" by mistake; the lead reopens, corrects it to "Yes" and
    finalizes again. Its item stayed open in the commune's plan (deadline, reminders) for a
    finding the record no longer made. Now it is closed as "no action needed" with the
    reason, kept in the history; wrong again later, the same item opens again."""
    record = plan["record"]
    service.reopen(world.store, world.scope("lead"), record, "1.6 ghi nhầm")
    world.answer("lead", record, "1.6", value=True)
    _, preview = service.finalize_preview(world.store, world.scope("lead"), record,
                                          allow_unanswered=True)
    assert preview.withdrawn == [plan["item"]]  # said on the confirmation first
    world.finalize("lead", record)
    items = {i.criterion: i for i in world.record(record).items}
    item = items["1.6"]
    assert item.id == plan["item"] and item.status == "no_action"
    assert item.reason.startswith("Kết quả tiêu chí đã được sửa")
    assert [e.action for e in item.history] == ["created", "withdrawn"]
    assert {i.status for c, i in items.items() if c != "1.6"} == {"open"}  # the others stay
    assert world.record(record).history[-1].detail["withdrawn"] == [item.id]
    page = login(world.client, "ua").get(f"/remediation/item/{item.id}").get_data(as_text=True)
    assert "Kết quả tiêu chí đã được sửa" in page and "rút lại" in page  # the commune sees why
    service.reopen(world.store, world.scope("lead"), record, "1.6 đúng là chưa đạt")
    world.answer("lead", record, "1.6", value=False)
    world.finalize("lead", record)
    again = [i for i in world.record(record).items if i.criterion == "1.6"]
    assert [(i.id, i.status, i.reason) for i in again] == [(plan["item"], "open", "")]


def test_an_item_the_commune_worked_on_stays_when_its_criterion_is_corrected(world, plan):
    record, item_id = plan["record"], plan["item"]
    item = world.record(record).item(item_id)
    response = world.api["ua"].patch(item_id, item.rev, op(), progress_note="Đã dự thảo kế hoạch")
    assert response.status_code == 200, response.json
    assert world.record(record).item(item_id).progress  # the commune began
    service.reopen(world.store, world.scope("lead"), record, "1.6 ghi nhầm")
    world.answer("lead", record, "1.6", value=True)
    world.finalize("lead", record)
    assert world.record(record).item(item_id).status != "no_action"


def test_free_findings_before_and_after_finalizing(world):
    record = world.start("lead", "NT")
    response = world.api["lead"].post(f"/inspections/{record}/remediation", {
        "op_id": op(), "finding": "Thường xuyên quan tâm thực hiện vệ sinh công sở sạch, đẹp",
        "owner": "Văn phòng HĐND-UBND xã", "due": "2025-12-31"})
    assert response.status_code == 201
    free = response.json
    assert (free["criterion"], free["source"], free["status"]) == (None, "free", "open")
    # a shortcoming written down before finalizing is not generated a second time
    world.answer("lead", record, "1.6", value=False)
    written = world.api["lead"].post(f"/inspections/{record}/remediation", {
        "op_id": op(), "criterion": "1.6", "finding": "Chưa có kế hoạch tuyên truyền"}).json
    world.finalize("lead", record)
    items = world.record(record).items
    assert [i.finding for i in items if i.criterion == "1.6"] == ["Chưa có kế hoạch tuyên truyền"]
    assert items[0].id == free["id"] and items[1].id == written["id"]
    after = world.api["lead"].post(f"/inspections/{record}/remediation", {
        "op_id": op(), "finding": "Tăng cường tuyên truyền trên Trang thông tin điện tử xã"})
    assert after.status_code == 201 and world.record(record).status == "finalized"


def test_a_shortcoming_needs_an_item_or_a_written_reason(world, plan):
    lead = world.api["lead"]
    item = world.item(plan["item"])
    response = lead.patch(item.id, item.rev, status="no_action")
    assert response.status_code == 400 and response.json["field"] == "reason"
    response = lead.patch(item.id, item.rev, status="no_action",
                          reason="Đã ban hành trước ngày kiểm tra (KH số 20/KH-UBND)")
    assert response.status_code == 200 and response.json["status"] == "no_action"
    # the unit may not decide that no action is needed
    other = next(i for i in world.record(plan["record"]).items if i.status == "open")
    assert world.api["ua"].patch(other.id, other.rev, status="no_action",
                                 reason="Không cần").status_code == 403
    # before finalizing: record "no action needed" for a criterion with a reason
    draft = world.start("lead", "NT")
    world.answer("lead", draft, "1.6", value=False)
    response = lead.post(f"/inspections/{draft}/remediation", {
        "op_id": op(), "criterion": "1.6", "finding": "Chưa có kế hoạch", "status": "no_action"})
    assert response.status_code == 400 and response.json["field"] == "reason"
    lead.post(f"/inspections/{draft}/remediation", {
        "op_id": op(), "criterion": "1.6", "finding": "Chưa có kế hoạch", "status": "no_action",
        "reason": "Xã mới thành lập sau sắp xếp"})
    world.finalize("lead", draft)
    [row] = [i for i in world.record(draft).items if i.criterion == "1.6"]
    assert (row.status, row.reason) == ("no_action", "Xã mới thành lập sau sắp xếp")


def test_a_weekly_self_check_turns_its_actions_into_the_units_plan(world):
    record = world.start("ua", "NT", checklist="tu-kiem-tra-mot-cua-tuan", kind="self_check",
                         period="2025-W14")
    world.answer("ua", record, "W16", inputs={
        "viec": "Bổ sung phiếu xin lỗi cho 02 hồ sơ trễ hạn\nCập nhật niêm yết 03 TTHC mới công bố",
        "nguoi_phu_trach": "Công chức Văn phòng - Thống kê", "han": "2025-04-11"})
    checklist = service.checklist_of(world.record(record))
    for criterion in checklist.criteria:  # evidence-required lines need a note to finalize
        if criterion.evidence_required:
            world.answer("ua", record, criterion.id, value=True, note="Đã kiểm tra")
    world.finalize("ua", record)
    actions = [i for i in world.record(record).items if i.source == "self_check_action"]
    assert [(i.action, i.owner, i.due) for i in actions] == [
        ("Bổ sung phiếu xin lỗi cho 02 hồ sơ trễ hạn", "Công chức Văn phòng - Thống kê", "2025-04-11"),
        ("Cập nhật niêm yết 03 TTHC mới công bố", "Công chức Văn phòng - Thống kê", "2025-04-11")]
    html = login(world.app.test_client(), "ua").get("/remediation/").get_data(as_text=True)
    assert "Bổ sung phiếu xin lỗi cho 02 hồ sơ trễ hạn" in html


# ---------------------------------------------------------------- the write protocol on items

def test_the_same_op_id_twice_adds_one_progress_note(world, plan):
    item, op_id = world.item(plan["item"]), op()
    first = world.api["ua"].patch(item.id, item.rev, op_id, status="in_progress",
                                  progress_note="Đang dự thảo kế hoạch")
    again = world.api["ua"].patch(item.id, item.rev, op_id, status="in_progress",
                                  progress_note="Đang dự thảo kế hoạch")
    assert first.status_code == again.status_code == 200
    assert first.json == again.json
    stored = world.item(item.id)
    assert len(stored.progress) == 1 and stored.rev == item.rev + 1


def test_the_same_op_id_with_other_content_is_409(world, plan):
    item, op_id = world.item(plan["item"]), op()
    world.api["ua"].patch(item.id, item.rev, op_id, progress_note="Đang dự thảo")
    response = world.api["ua"].patch(item.id, item.rev, op_id, progress_note="Đã xong")
    assert response.status_code == 409 and "op_id" in response.json["error"]
    assert [p.note for p in world.item(item.id).progress] == ["Đang dự thảo"]


def test_a_stale_change_is_a_conflict_with_the_current_item(world, plan):
    item = world.item(plan["item"])
    assert world.api["lead"].patch(item.id, item.rev, owner="Chủ tịch UBND xã").status_code == 200
    stale = world.api["ua"].patch(item.id, item.rev, owner="Văn phòng HĐND-UBND xã")
    assert stale.status_code == 409
    assert stale.json["current"]["owner"] == "Chủ tịch UBND xã"
    assert stale.json["current"]["rev"] == item.rev + 1
    assert world.item(item.id).owner == "Chủ tịch UBND xã"  # never silently overwritten
    # the same value on a stale revision is already there: accepted, nothing changes
    same = world.api["ua"].patch(item.id, item.rev, owner="Chủ tịch UBND xã")
    assert same.status_code == 200 and same.json["rev"] == item.rev + 1
    # a note alone overwrites nothing: it is appended whatever the revision
    note = world.api["ua"].patch(item.id, item.rev, progress_note="Đã họp bàn")
    assert note.status_code == 200 and note.json["progress"][-1]["note"] == "Đã họp bàn"


@pytest.mark.parametrize("body, field", [
    ({"base_rev": 1}, "op_id"),
    ({"op_id": "x" * 20, "base_rev": 1, "status": "finished"}, "status"),
    ({"op_id": "x" * 20, "base_rev": 1, "due": "11/04/2025"}, "due"),
    ({"op_id": "x" * 20, "base_rev": 1, "owner": 5}, "owner"),
    ({"op_id": "x" * 20, "base_rev": "1", "owner": "A"}, "base_rev"),
    ({"op_id": "x" * 20, "owner": "A"}, "base_rev"),
    ({"op_id": "x" * 20, "base_rev": 1, "colour": "red"}, "colour"),
])
def test_a_bad_patch_is_400_naming_the_field(world, plan, body, field):
    response = world.client.patch(f"/api/v1/remediation/{plan['item']}", json=body,
                                  headers={"Authorization": f"Bearer {world.api['lead'].token}"})
    assert response.status_code == 400 and response.json["field"] == field


def test_history_records_who_when_and_each_field_old_and_new(world, plan, pin):
    pin(_dt.datetime(2025, 5, 2, 1, 15, tzinfo=UTC))
    item = world.item(plan["item"])
    world.api["ua"].patch(item.id, item.rev, owner="Công chức Văn hóa - Xã hội",
                          cause="Chủ quan: chưa bố trí người phụ trách")
    pin(_dt.datetime(2025, 5, 3, 2, 0, tzinfo=UTC))
    world.api["lead"].patch(item.id, item.rev + 1, due="2025-06-30")
    history = world.item(item.id).history
    assert history[0].action == "created"
    owner_change = history[1]
    assert (owner_change.by, owner_change.at, owner_change.action) == (
        "ua", "2025-05-02T01:15:00+00:00", "updated")
    assert owner_change.detail["changes"] == [
        {"field": "cause", "old": "", "new": "Chủ quan: chưa bố trí người phụ trách"},
        {"field": "owner", "old": "Phòng Văn hóa - Xã hội", "new": "Công chức Văn hóa - Xã hội"}]
    assert history[2].by == "lead" and history[2].detail["changes"] == [
        {"field": "due", "old": item.due, "new": "2025-06-30"}]
    page = login(world.app.test_client(), "lead").get(f"/remediation/item/{item.id}").get_data(as_text=True)
    assert "Phòng Văn hóa - Xã hội → Công chức Văn hóa - Xã hội" in page
    assert "30/06/2025" in page and "02/05/2025 08:15" in page  # local time (UTC+7)


# ---------------------------------------------------------------- status, evidence, verification

def test_done_needs_evidence(world, plan):
    item, ua = world.item(plan["item"]), world.api["ua"]
    response = ua.patch(item.id, item.rev, status="done")
    assert response.status_code == 422 and response.json["needs"] == "evidence"
    assert world.item(item.id).status == "open"
    # a photo sent before (a progress note of its own) is evidence enough
    photo = ua.photo(item.id, note="")
    assert photo.status_code == 201
    done = ua.patch(item.id, photo.json["rev"], status="done")
    assert done.status_code == 200 and done.json["status"] == "done" and done.json["done_at"]


def test_a_note_in_the_same_change_is_evidence(world, plan):
    item = world.item(plan["item"])
    response = world.api["ua"].patch(item.id, item.rev, status="done",
                                     progress_note="Đã ban hành KH số 25/KH-UBND ngày 10/5")
    assert response.status_code == 200
    stored = world.item(item.id)
    assert stored.status == "done" and stored.progress[-1].status == "done"


def test_only_the_inspecting_side_verifies(world, plan):
    item = world.item(plan["item"])
    world.api["ua"].patch(item.id, item.rev, status="done", progress_note="Đã ban hành kế hoạch")
    rev = world.item(item.id).rev
    for who, status in (("ua", 403), ("viewer", 403), ("outsider", 404), ("ub", 404)):
        assert world.api[who].patch(item.id, rev, status="verified").status_code == status, who
    assert world.item(item.id).status == "done"
    response = world.api["watcher"].patch(item.id, rev, status="verified", comment="Đạt")
    assert response.status_code == 200
    stored = world.item(item.id)
    assert (stored.status, stored.verified_by) == ("verified", "watcher") and stored.verified_at
    assert stored.history[-1].action == "verified" and stored.history[-1].detail["comment"] == "Đạt"
    # verified is final for everyone but an administrator
    assert world.api["lead"].patch(item.id, stored.rev, status="in_progress",
                                   comment="Chưa đạt").status_code == 403
    reopened = world.api["admin"].patch(item.id, stored.rev, status="in_progress",
                                        comment="Kiểm tra lại: kế hoạch chưa có phân công")
    assert reopened.status_code == 200 and reopened.json["verified_at"] is None


def test_sending_back_needs_a_comment_and_clears_done(world, plan):
    item = world.item(plan["item"])
    world.api["ua"].patch(item.id, item.rev, status="done", progress_note="Đã ban hành kế hoạch")
    rev = world.item(item.id).rev
    assert world.api["lead"].patch(item.id, rev, status="in_progress").json["field"] == "comment"
    response = world.api["lead"].patch(item.id, rev, status="in_progress",
                                       comment="Kế hoạch chưa có phân công cụ thể")
    assert response.status_code == 200
    stored = world.item(item.id)
    assert (stored.status, stored.done_at) == ("in_progress", None)
    assert stored.history[-1].action == "sent_back"
    # the unit may take back its own "done" without a comment, but never verify
    world.api["ua"].patch(item.id, stored.rev, status="done", progress_note="Đã bổ sung phân công")
    back = world.api["ua"].patch(item.id, stored.rev + 1, status="in_progress")
    assert back.status_code == 200 and world.item(item.id).history[-1].action == "status"


def test_cannot_do_needs_a_reason_and_a_move_out_clears_it(world, plan):
    item, ua = world.item(plan["item"]), world.api["ua"]
    assert ua.patch(item.id, item.rev, status="cannot_do").json["field"] == "reason"
    ua.patch(item.id, item.rev, status="cannot_do", reason="Chưa được cấp kinh phí")
    stored = world.item(item.id)
    assert (stored.status, stored.reason) == ("cannot_do", "Chưa được cấp kinh phí")
    ua.patch(item.id, stored.rev, status="in_progress")
    assert world.item(item.id).reason == ""
    assert {"field": "reason", "old": "Chưa được cấp kinh phí", "new": ""} in \
        world.item(item.id).history[-1].detail["changes"]


def test_a_verified_item_cannot_jump_back_to_open(world, plan):
    item = world.item(plan["item"])
    response = world.api["lead"].patch(item.id, item.rev, status="verified")
    assert response.status_code == 409 and response.json["current"]["status"] == "open"


# ---------------------------------------------------------------- who may do what

#: (who, change, expected status) on the item of a finalized inspection of NT.
ROLE_TABLE = [
    ("ua", {"progress_note": "Đang làm"}, 200),
    ("ua", {"status": "in_progress"}, 200),
    ("ua", {"owner": "Chị Lan", "cause": "Khách quan", "cooperating": "Phòng KT", "output": "QĐ"}, 200),
    ("ua", {"due": "2030-01-01"}, 403),
    ("ua", {"action": "Việc khác"}, 403),
    ("ua", {"finding": "Khác"}, 403),
    ("lead", {"due": "2030-01-01", "action": "Việc khác", "finding": "Khác"}, 200),
    ("mate", {"progress_note": "Đoàn nhắc việc"}, 200),
    ("admin", {"due": "2030-01-01"}, 200),
    ("watcher", {"progress_note": "Nhắc"}, 403),  # inspects the unit: verifies, never reports
    ("viewer", {"progress_note": "x"}, 403),
    ("outsider", {"progress_note": "x"}, 404),
    ("ub", {"progress_note": "x"}, 404),
    ("anon", {"progress_note": "x"}, 401),
]


@pytest.mark.parametrize("who, change, status", ROLE_TABLE,
                         ids=[f"{w}-{'-'.join(c)}" for w, c, _ in ROLE_TABLE])
def test_role_table(world, plan, who, change, status):
    item = world.item(plan["item"])
    response = world.api[who].patch(item.id, item.rev, **change)
    assert response.status_code == status, response.json
    stored = world.item(item.id)
    assert (stored.rev == item.rev) == (status != 200)


@pytest.mark.parametrize("who, status", [("lead", 201), ("admin", 201), ("mate", 201),
                                         ("ua", 403), ("viewer", 403), ("watcher", 403),
                                         ("ub", 404), ("outsider", 404)])
def test_who_adds_findings_to_an_inspections_plan(world, plan, who, status):
    response = world.api[who].post(f"/inspections/{plan['record']}/remediation",
                                   {"op_id": op(), "finding": "Vệ sinh công sở"})
    assert response.status_code == status


def test_a_unit_plans_its_own_self_check(world):
    record = world.start("ua", "NT", checklist="tu-kiem-tra-mot-cua-tuan", kind="self_check",
                         period="2025-W15")
    response = world.api["ua"].post(f"/inspections/{record}/remediation",
                                    {"op_id": op(), "finding": "Máy lấy số hỏng"})
    assert response.status_code == 201
    item = response.json
    world.api["ua"].patch(item["id"], item["rev"], status="done", progress_note="Đã sửa")
    # the unit cannot verify its own work; an administrator can (nobody inspects NT's self-check)
    rev = world.item(item["id"]).rev
    assert world.api["ua"].patch(item["id"], rev, status="verified").status_code == 403
    assert world.api["admin"].patch(item["id"], rev, status="verified").status_code == 200


def test_another_units_user_gets_404_for_everything_of_this_one(world, plan):
    ub, item = world.api["ub"], plan["item"]
    assert ub.get(f"/remediation/{item}").status_code == 404
    assert ub.patch(item, 1, progress_note="x").status_code == 404
    assert ub.photo(item).status_code == 404
    assert ub.get(f"/inspections/{plan['record']}/remediation").status_code == 404
    client = login(world.app.test_client(), "ub")
    for path in (f"/remediation/item/{item}", f"/remediation/plan/{plan['record']}"):
        assert client.get(path).status_code == 404
    assert item not in client.get("/remediation/").get_data(as_text=True)
    assert ub.get("/remediation/nonsense").status_code == 404
    assert ub.get(f"/remediation/{plan['record']}-999").status_code == 404


# ---------------------------------------------------------------- photos

def test_a_photo_becomes_a_progress_note_served_by_the_records_photo_route(world, plan):
    item, op_id = plan["item"], op()
    first = world.api["ua"].photo(item, op_id, note="Ảnh khu niêm yết sau khi cập nhật")
    again = world.api["ua"].photo(item, op_id, note="Ảnh khu niêm yết sau khi cập nhật")
    assert first.status_code == again.status_code == 201 and first.json == again.json
    stored = world.item(item)
    assert len(stored.progress) == 1
    [photo_id] = stored.progress[0].photos
    assert world.record(plan["record"]).photos[photo_id].item == item
    client = login(world.app.test_client(), "ua")
    response = client.get(f"/inspections/{plan['record']}/photos/{photo_id}?variant=thumb")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert f"/photos/{photo_id}" in client.get(f"/remediation/item/{item}").get_data(as_text=True)


def test_a_file_that_is_not_an_image_is_refused(world, plan):
    response = world.client.post(
        f"/api/v1/remediation/{plan['item']}/photos",
        headers={"Authorization": f"Bearer {world.api['ua'].token}"},
        data={"op_id": op(), "photo": (io.BytesIO(b"not an image"), "x.jpg")},
        content_type="multipart/form-data")
    assert response.status_code == 400 and response.json["field"] == "photo"
    assert world.item(plan["item"]).progress == []


# ---------------------------------------------------------------- overdue, in Vietnam's time

def test_overdue_is_judged_on_the_date_in_vietnam(world, plan, pin):
    item = world.item(plan["item"])
    world.api["lead"].patch(item.id, item.rev, due="2025-05-10")
    # 16:59 UTC on the due date is 23:59 in Vietnam: still due today
    pin(_dt.datetime(2025, 5, 10, 16, 59, tzinfo=UTC))
    assert item.id not in [e.item.id for e in remediation.overdue(world.store, world.scope("lead"),
                                                                  clock.today()).rows]
    # 23:30 UTC on the due date is already 06:30 the next day in Vietnam: overdue
    pin(_dt.datetime(2025, 5, 10, 23, 30, tzinfo=UTC))
    assert clock.today("UTC") == _dt.date(2025, 5, 10)  # in UTC it would still be the due date
    overdue = remediation.overdue(world.store, world.scope("lead"), clock.today())
    assert item.id in [e.item.id for e in overdue.rows]
    page = login(world.app.test_client(), "ua").get("/remediation/").get_data(as_text=True)
    section = page.split('class="item-group group-overdue"')[1].split("</section>")[0]
    assert f'id="i-{item.id}"' in section


def test_the_inspecting_side_sees_overdue_items_across_the_units_it_may_see(world, plan, pin):
    other = world.start("watcher", "TN")
    world.answer("watcher", other, "1.6", value=False)
    world.finalize("watcher", other)
    pin(_dt.datetime(2030, 1, 1, 3, 0, tzinfo=UTC))
    seen = {who: {e.item.unit for e in remediation.overdue(world.store, world.scope(who), clock.today()).rows}
            for who in ("admin", "viewer", "lead", "watcher", "ua", "ub", "outsider")}
    assert seen == {"admin": {"NT", "TN"}, "viewer": {"NT", "TN"}, "lead": {"NT"},
                    "watcher": {"NT", "TN"}, "ua": {"NT"}, "ub": {"TN"}, "outsider": set()}


# ---------------------------------------------------------------- the previous plan (criterion 1.5)

def test_the_previous_plan_feeds_criterion_1_5(world, pin):
    pin(_dt.datetime(2024, 10, 1, 2, 0, tzinfo=UTC))
    last_year = world.start("lead", "NT", period="2024")
    for criterion in ("1.6", "1.10", "3.2", "7.3", "5.2"):
        world.answer("lead", last_year, criterion, value=False)
    world.finalize("lead", last_year)
    items = {i.criterion: i for i in world.record(last_year).items}
    due = {c: items[c].due for c in ("1.6", "1.10", "3.2", "7.3")}  # 1.6: 31/10, 1.10: 16/10
    ua, lead = world.api["ua"], world.api["lead"]

    def done_on(criterion, moment, verify=False):
        pin(moment)
        item = world.item(items[criterion].id)
        ua.patch(item.id, item.rev, status="done", progress_note="Đã khắc phục")
        if verify:
            lead.patch(item.id, item.rev + 1, status="verified")

    done_on("1.6", _dt.datetime(2024, 10, 31, 16, 0, tzinfo=UTC), verify=True)  # 23:00 VN on the due day
    done_on("1.10", _dt.datetime(2024, 10, 16, 17, 30, tzinfo=UTC))  # 00:30 VN the day after: late
    done_on("3.2", _dt.datetime(2024, 10, 5, 2, 0, tzinfo=UTC))
    pin(_dt.datetime(2024, 11, 1, 2, 0, tzinfo=UTC))
    item = world.item(items["7.3"].id)
    lead.patch(item.id, item.rev, status="no_action", reason="Phần mềm QLVB đã thay")
    assert due["1.10"] == "2024-10-16"
    total = len(items) - 1  # "no action needed" is not counted

    pin(_dt.datetime(2025, 10, 1, 2, 0, tzinfo=UTC))
    this_year = world.start("lead", "NT", period="2025")
    prev = remediation.previous_plan(world.store, world.scope("lead"), world.record(this_year),
                                     "Asia/Ho_Chi_Minh")
    assert prev.record.id == last_year
    f = prev.figures
    assert (f.total, f.on_time, f.late, f.open, f.verified) == (total, 2, 1, total - 3, 1)
    assert (prev.criterion, prev.section) == ("1.5", "chi_dao")
    assert prev.inputs == (("Tổng số tồn tại, hạn chế phải khắc phục", total),
                           ("Số tồn tại đã khắc phục đúng hạn", 2))
    client = login(world.app.test_client(), "lead")
    overview = client.get(f"/inspections/{this_year}").get_data(as_text=True)
    assert "Số tồn tại đã khắc phục đúng hạn: <strong>2</strong>" in overview
    assert "previous-plan" in client.get(f"/inspections/{this_year}/s/chi_dao").get_data(as_text=True)
    assert "previous-plan" not in client.get(f"/inspections/{this_year}/s/the_che").get_data(as_text=True)
    # the first inspection of a unit has no previous plan
    assert "previous-plan" not in client.get(f"/inspections/{last_year}").get_data(as_text=True)


# ---------------------------------------------------------------- pages, with and without JavaScript


@pytest.mark.parametrize("who, index, plan_page, item_page", [
    ("admin", 200, 200, 200), ("lead", 200, 200, 200), ("mate", 200, 200, 200),
    ("watcher", 200, 200, 200), ("viewer", 200, 200, 200), ("ua", 200, 200, 200),
    ("ub", 200, 404, 404), ("outsider", 200, 404, 404),
])
def test_pages_render_for_each_role(world, plan, who, index, plan_page, item_page):
    client = login(world.app.test_client(), who)
    assert client.get("/remediation/").status_code == index
    assert client.get(f"/remediation/plan/{plan['record']}").status_code == plan_page
    item = client.get(f"/remediation/item/{plan['item']}")
    assert item.status_code == item_page
    if item_page == 200:
        html = item.get_data(as_text=True)
        assert ('id="progress"' in html) == (who in ("admin", "lead", "mate", "ua"))
        assert 'id="review"' not in html  # the item is open: nothing to verify yet


def test_our_plan_groups_items_for_the_unit(world, plan, pin):
    pin(_dt.datetime(2030, 1, 1, 3, 0, tzinfo=UTC))
    html = login(world.app.test_client(), "ua").get("/remediation/").get_data(as_text=True)
    assert "Chưa ban hành kế hoạch tuyên truyền" in html
    assert html.index("group-overdue") < html.index(plan["item"])
    assert '<progress max="' in html


def test_the_inspecting_side_index_lists_items_awaiting_verification(world, plan):
    item = world.item(plan["item"])
    world.api["ua"].patch(item.id, item.rev, status="done", progress_note="Đã ban hành")
    html = login(world.app.test_client(), "watcher").get("/remediation/").get_data(as_text=True)
    awaiting = html.split('id="awaiting"')[1].split("</section>")[0]
    assert f'id="i-{item.id}"' in awaiting and 'name="decision" value="verify"' in awaiting
    viewer = login(world.app.test_client(), "viewer").get("/remediation/").get_data(as_text=True)
    assert 'name="decision" value="verify"' not in viewer.split('id="awaiting"')[1]
    assert f"/remediation/plan/{plan['record']}" in html  # per-inspection progress


def _item_form(client, item_id, form_id):
    html = client.get(f"/remediation/item/{item_id}").get_data(as_text=True)
    return form_fields(html, form_id), html


def test_the_no_js_progress_form_with_a_photo_and_a_double_submit(world, plan):
    client = login(world.app.test_client(), "ua")
    fields, _ = _item_form(client, plan["item"], "progress")
    fields.update(status="done", progress_note="Đã ban hành KH số 25/KH-UBND")
    data = {**fields, "photo": (io.BytesIO(jpeg()), "anh.jpg")}
    response = client.post(f"/remediation/item/{plan['item']}/progress", data=data,
                           content_type="multipart/form-data")
    assert response.status_code == 302
    again = client.post(f"/remediation/item/{plan['item']}/progress",
                        data={**fields, "photo": (io.BytesIO(jpeg()), "anh.jpg")},
                        content_type="multipart/form-data")
    assert again.status_code == 302
    stored = world.item(plan["item"])
    assert stored.status == "done" and len(stored.progress) == 1
    assert stored.progress[0].note == "Đã ban hành KH số 25/KH-UBND" and len(stored.progress[0].photos) == 1


def test_the_no_js_form_shows_a_conflict_and_keeps_the_input(world, plan):
    client = login(world.app.test_client(), "ua")
    fields, _ = _item_form(client, plan["item"], "progress")
    item = world.item(plan["item"])
    world.api["lead"].patch(item.id, item.rev, status="cannot_do", reason="Chờ hướng dẫn của tỉnh")
    fields.update(status="in_progress", progress_note="Đã giao Văn phòng dự thảo")
    response = client.post(f"/remediation/item/{plan['item']}/progress", data=fields)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert 'class="conflict"' in html and "Đã giao Văn phòng dự thảo" in html
    assert world.item(plan["item"]).status == "cannot_do"
    resent = form_fields(html, "progress")  # "send it again": against the current revision
    assert client.post(f"/remediation/item/{plan['item']}/progress", data=resent).status_code == 302
    assert world.item(plan["item"]).status == "in_progress"


def test_a_no_js_note_never_reverts_a_status_changed_meanwhile(world, plan):
    client = login(world.app.test_client(), "ua")
    fields, _ = _item_form(client, plan["item"], "progress")
    item = world.item(plan["item"])
    world.api["lead"].patch(item.id, item.rev, status="in_progress", progress_note="Đoàn nhắc việc")
    fields["progress_note"] = "Đã giao Văn phòng dự thảo"  # the status choice left as shown
    assert client.post(f"/remediation/item/{plan['item']}/progress", data=fields).status_code == 302
    stored = world.item(plan["item"])
    assert stored.status == "in_progress" and stored.progress[-1].note == "Đã giao Văn phòng dự thảo"


def test_the_no_js_done_without_evidence_explains_why(world, plan):
    client = login(world.app.test_client(), "ua")
    fields, _ = _item_form(client, plan["item"], "progress")
    fields["status"] = "done"
    response = client.post(f"/remediation/item/{plan['item']}/progress", data=fields)
    # In the user's language (Vietnamese by default), not the service's English.
    assert response.status_code == 422
    assert "đánh dấu hoàn thành cần có minh chứng" in response.get_data(as_text=True)


def test_the_no_js_columns_review_and_new_finding_forms(world, plan):
    lead = login(world.app.test_client(), "lead")
    html = lead.get(f"/remediation/item/{plan['item']}").get_data(as_text=True)
    edit = form_fields(html, "columns")
    edit.update(due="2025-12-31", cooperating="Công an xã")
    assert lead.post(f"/remediation/item/{plan['item']}/edit", data=edit).status_code == 302
    assert (world.item(plan["item"]).due, world.item(plan["item"]).cooperating) == ("2025-12-31", "Công an xã")
    # the unit's form has only the unit's own columns
    ua_html = login(world.app.test_client(), "ua").get(f"/remediation/item/{plan['item']}").get_data(as_text=True)
    edit_part = ua_html.split('id="edit"')[1].split("</details>")[0]
    assert 'name="owner"' in edit_part and 'name="due"' not in edit_part
    # the unit reports done, the inspector verifies through the review form
    item = world.item(plan["item"])
    world.api["ua"].patch(item.id, item.rev, status="done", progress_note="Đã ban hành")
    review = form_fields(lead.get(f"/remediation/item/{plan['item']}").get_data(as_text=True), "review")
    response = lead.post(f"/remediation/item/{plan['item']}/review",
                         data={**review, "go": "verify", "comment": "Đạt"})
    assert response.status_code == 302 and world.item(plan["item"]).status == "verified"
    # a free finding from the plan page
    page = lead.get(f"/remediation/plan/{plan['record']}").get_data(as_text=True)
    new = form_fields(page, "new-finding")
    new["finding"] = "Thường xuyên quan tâm thực hiện vệ sinh công sở sạch, đẹp"
    for _ in range(2):  # a double submit adds it once
        response = lead.post(f"/remediation/plan/{plan['record']}/items", data=new)
        assert response.status_code == 302
    added = [i for i in world.record(plan["record"]).items if i.source == "free"]
    assert [i.finding for i in added] == [new["finding"]]


def test_the_api_lists_items_with_their_dates(world, plan):
    items = world.api["ua"].get(f"/inspections/{plan['record']}/remediation").json
    [item] = [i for i in items if i["id"] == plan["item"]]
    assert {"done_at", "verified_at", "verified_by", "source", "progress", "history"} <= set(item)
    assert world.api["ua"].get(f"/remediation/{plan['item']}").json == item


def test_a_no_js_note_too_long_says_so_and_keeps_what_was_typed(world, plan):
    """A progress note, a reason, an item field or a review comment beyond the text limit
    is refused with the reason in the user's language, on the item's page with the text
    still in its box — not a bare 400 that throws away what was typed."""
    client = login(world.app.test_client(), "ua")
    long_note = "Đã giao Văn phòng dự thảo kế hoạch. " * 120  # 4.320 characters
    fields, _ = _item_form(client, plan["item"], "progress")
    fields.update(status="in_progress", progress_note=long_note)
    response = client.post(f"/remediation/item/{plan['item']}/progress", data=fields)
    html = response.get_data(as_text=True)
    assert response.status_code in (400, 422), response.status_code
    assert "dài quá" in html and "Đã giao Văn phòng dự thảo kế hoạch." in html
    assert len(world.item(plan["item"]).progress) == 0  # nothing half-saved

    lead = login(world.app.test_client(), "lead")
    fields, _ = _item_form(lead, plan["item"], "columns")
    fields["action"] = "Bổ sung kế hoạch tuyên truyền. " * 150
    response = lead.post(f"/remediation/item/{plan['item']}/edit", data=fields)
    html = response.get_data(as_text=True)
    assert response.status_code in (400, 422) and "dài quá" in html
    assert "Bổ sung kế hoạch tuyên truyền." in html


def test_an_item_done_before_a_merge_and_sent_back_after_it_carries_the_new_unit(world, plan):
    """docs/units.md: "open items carry the new unit (digests and reminders of its users);
    closed items stay the old unit's". An item that was done at the merge stays NT's; sent
    back afterwards it is open again, but still NT's (a unit merged away): the dashboards
    count it under the old commune, not the one that must now carry it out."""
    item_id = plan["item"]
    ua = world.api["ua"]
    item = world.item(item_id)
    done = ua.patch(item_id, item.rev, status="done", progress_note="Đã ban hành KH số 12/KH-UBND")
    assert done.status_code == 200, done.json
    unit_service.add_unit(world.store, "XM", "Xã Mới")
    unit_service.merge_units(world.store, ["NT"], "XM", "01/07/2025")
    assert world.item(item_id).unit == "NT"  # closed at the merge: stays the old unit's
    remediation.review_item(world.store, world.scope("lead"), commands.item_review(item_id, {
        "op_id": op(), "base_rev": world.item(item_id).rev, "decision": "send_back",
        "comment": "Chưa có bản ký, bổ sung"}))
    reopened = world.item(item_id)
    assert reopened.status == "in_progress"
    assert reopened.unit == "XM"  # open again: the new unit carries it out


def test_an_item_withdrawn_at_a_refinalize_is_not_a_row_of_the_excel_plan(world, plan):
    """1.6 was finalized as "No" by mistake, corrected after a reopen: its item is
    withdrawn (no_action, CORRECTED_REASON) — "documents leave it out" (domain/remediation
    is_withdrawn; the printable plan does). The Excel plan sheet still lists it as a plan
    row, with the shortcoming the record no longer makes."""
    import io

    import openpyxl

    record = plan["record"]
    finding = world.item(plan["item"]).finding
    service.reopen(world.store, world.scope("lead"), record, "1.6 ghi nhầm")
    world.answer("lead", record, "1.6", value=True)
    world.finalize("lead", record)
    assert world.item(plan["item"]).status == "no_action"
    response = login(world.client, "admin").get("/exports/workbook.xlsx?lang=en")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data))["Remediation plan"]
    findings = [row[4].value for row in sheet.iter_rows(min_row=2)]
    assert findings, "the plan sheet lists the other items"
    assert finding not in findings


def test_progress_sent_while_the_inspector_has_the_record_reopened_is_not_refused(world, plan):
    """The commune worked on its item; the lead reopens the inspection to correct another
    criterion. The commune officer's progress note (queued on the phone, sent now) is
    refused as "no such item" and the item vanishes from "our plan" until re-finalized."""
    record, item_id = plan["record"], plan["item"]
    ua = world.api["ua"]
    item = world.item(item_id)
    assert ua.patch(item_id, item.rev, status="in_progress").status_code == 200
    service.reopen(world.store, world.scope("lead"), record, "Sửa điểm tiêu chí 1.2")
    response = ua.patch(item_id, None, progress_note="Đã dự thảo kế hoạch tuyên truyền")
    assert response.status_code == 200, (response.status_code, response.json)
    evidence = ua.photo(item_id, note="Ảnh bản dự thảo")
    assert evidence.status_code in (200, 201), evidence.json
    photo_id = world.item(item_id).progress[-1].photos[0]
    client = login(world.client, "ua")
    page = client.get("/remediation/").get_data(as_text=True)
    assert item_id in page  # the item the commune is working on is still in its plan
    assert client.get(f"/remediation/item/{item_id}").status_code == 200
    assert client.get(f"/inspections/{record}/photos/{photo_id}?variant=thumb").status_code == 200
    # the record itself, being corrected, is not the unit's to read meanwhile
    assert client.get(f"/inspections/{record}").status_code == 404
    answer_photo = {p for a in world.record(record).answers.values() for p in a.photos}
    assert not answer_photo or all(client.get(f"/inspections/{record}/photos/{p}").status_code
                                   == 404 for p in answer_photo)
