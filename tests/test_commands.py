"""The service boundary: typed commands parsed in one place, results without HTTP, one
mapping of refusals to statuses, the join / no-JS save / start-form services, and the
request log."""
from __future__ import annotations

import logging
import uuid

import pytest

from inspect_app.domain import inspection as rules
from inspect_app.domain import item_changes
from inspect_app.domain.errors import (
    Conflict,
    Forbidden,
    Invalid,
    Missing,
    Refused,
    Throttled,
    TooLarge,
    Unauthenticated,
    Unprocessable,
)
from inspect_app.services import Unprocessable as ServiceUnprocessable
from inspect_app.services import accounts, commands
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service
from inspect_app.storage import CannotStore
from inspect_app.web.errors import STATUSES, status_of

OP = "5d2c0a3e-9f7b-4c1e-8a2d-000000000001"


def op() -> str:
    return str(uuid.uuid4())


# ---------------------------------------------------------------- parsing: one table per command

def refusal(parse, *args):
    """(field, English message) of the refusal ``parse(*args)`` raises."""
    with pytest.raises(Invalid) as refused:
        parse(*args)
    return refused.value.details.get("field"), str(refused.value.message)


@pytest.mark.parametrize("body, field, message", [
    ([], "body", "the body must be a JSON object"),
    ("text", "body", "the body must be a JSON object"),
    ({"op_id": OP, "base_rev": 0, "colour": "red"}, "colour", "unknown field 'colour'"),
    ({"base_rev": 0, "value": True}, "op_id",
     "op_id is required: a client-generated id (UUID) of 8–100 characters"),
    ({"op_id": "short", "base_rev": 0}, "op_id",
     "op_id is required: a client-generated id (UUID) of 8–100 characters"),
    ({"op_id": 12345678, "base_rev": 0}, "op_id",
     "op_id is required: a client-generated id (UUID) of 8–100 characters"),
    ({"op_id": OP, "value": True}, "base_rev",
     "base_rev is required: the revision you last saw (0 if never answered)"),
    ({"op_id": OP, "base_rev": -1}, "base_rev",
     "base_rev is required: the revision you last saw (0 if never answered)"),
    ({"op_id": OP, "base_rev": True}, "base_rev",
     "base_rev is required: the revision you last saw (0 if never answered)"),
    ({"op_id": OP, "base_rev": "0"}, "base_rev",
     "base_rev is required: the revision you last saw (0 if never answered)"),
])
def test_bad_answer_bodies_name_their_field(body, field, message):
    assert refusal(commands.answer_op, "1.2", body) == (field, message)


def test_an_answer_op_keeps_only_what_was_given():
    parsed = commands.answer_op("1.2", {"op_id": OP, "base_rev": 3, "value": False, "na": False,
                                        "note": "  Chưa ban hành  ", "inputs": {"a": 1, "b": ""},
                                        "explanation": None})
    assert parsed == commands.AnswerOp(op_id=OP, criterion="1.2", base_rev=3, value=False,
                                       inputs={"a": 1}, note="Chưa ban hành")
    assert parsed.content() == {"value": False, "inputs": {"a": 1}, "note": "Chưa ban hành"}
    with pytest.raises(AttributeError):
        parsed.base_rev = 4  # frozen


@pytest.mark.parametrize("body, field, message", [
    (None, "body", "the body must be a JSON object"),
    ({"op_id": OP, "force": True}, "force", "unknown field 'force'"),
    ({"allow_unanswered": True}, "op_id",
     "op_id is required: a client-generated id (UUID) of 8–100 characters"),
    ({"op_id": OP, "allow_unanswered": "yes"}, "allow_unanswered",
     "allow_unanswered must be true or false"),
])
def test_bad_finalize_bodies(body, field, message):
    assert refusal(commands.finalize_op, body) == (field, message)


@pytest.mark.parametrize("body, field, message", [
    ({"op_id": OP, "base_rev": 1, "colour": "red"}, "colour", "unknown field 'colour'"),
    ({"base_rev": 1, "status": "done"}, "op_id",
     "op_id is required: a client-generated id (UUID) of 8–100 characters"),
    ({"op_id": OP, "base_rev": "1", "status": "done"}, "base_rev",
     "base_rev must be the item revision you last saw"),
    ({"op_id": OP, "base_rev": 1, "status": "finished"}, "status",
     "status must be one of open, in_progress, done, verified, cannot_do, no_action"),
    ({"op_id": OP, "base_rev": 1, "due": "30/6/2026"}, "due",
     "Deadline must be a date YYYY-MM-DD"),
    ({"op_id": OP, "progress_note": "x" * 4001}, "progress_note", None),
])
def test_bad_item_changes(body, field, message):
    got_field, got_message = refusal(commands.item_change, "abc-1", body)
    assert got_field == field
    if message is not None:
        assert got_message == message


def test_an_item_change_is_cleaned_and_an_empty_note_dropped():
    parsed = commands.item_change("abc-1", {"op_id": OP, "progress_note": "   ",
                                            "owner": " Chủ tịch ", "due": "2026-06-30"})
    assert parsed == commands.ItemChange(op_id=OP, item="abc-1", base_rev=None,
                                         change={"owner": "Chủ tịch", "due": "2026-06-30"})


@pytest.mark.parametrize("body, field, message", [
    ({"op_id": OP, "base_rev": 2, "decision": "approve"}, "decision",
     "decision must be verify or send_back"),
    ({"op_id": OP, "base_rev": 2}, "decision", "decision must be verify or send_back"),
    ({"op_id": OP, "base_rev": "2", "decision": "verify"}, "base_rev",
     "base_rev must be the item revision you last saw"),
    ({"op_id": OP, "base_rev": 2, "decision": "verify", "status": "done"}, "status",
     "unknown field 'status'"),
])
def test_bad_reviews(body, field, message):
    assert refusal(commands.item_review, "abc-1", body) == (field, message)


def test_a_review_says_the_status_it_sets():
    review = commands.item_review("abc-1", {"op_id": OP, "base_rev": 2, "decision": "send_back",
                                            "comment": " Thiếu ảnh "})
    assert (review.status, review.comment) == ("in_progress", "Thiếu ảnh")


@pytest.mark.parametrize("body, field, message", [
    ({"op_id": OP, "finding": "x", "criterion": 5}, "criterion", "unknown criterion 5"),
    ({"op_id": OP, "finding": "x", "base_rev": 0}, "base_rev", "unknown field 'base_rev'"),
    ({"finding": "x"}, "op_id",
     "op_id is required: a client-generated id (UUID) of 8–100 characters"),
])
def test_bad_new_items(body, field, message):
    assert refusal(commands.new_item, body) == (field, message)


@pytest.mark.parametrize("body, field, message", [
    ({"unit": "NT", "colour": "red"}, "colour", "unknown field 'colour'"),
    ({"unit": "NT", "team": "lead"}, "team", "team must be a list of usernames"),
    ({"unit": "NT", "team": [1]}, "team", "team must be a list of usernames"),
    ({"unit": "NT", "another": "yes"}, "another", "another must be true or false"),
])
def test_bad_start_requests(body, field, message):
    assert refusal(commands.start_request, body) == (field, message)


def test_a_start_request_defaults_to_an_inspection():
    parsed = commands.start_request({"unit": "NT", "checklist": "cchc-xa", "period": "2025",
                                     "team": ["mate"], "number": None})
    assert parsed == commands.StartRequest(unit="NT", checklist="cchc-xa", period="2025",
                                           kind="inspection", team=("mate",))


# ---------------------------------------------------------------- refusals → statuses

@pytest.mark.parametrize("error, status", [
    (Invalid, 400), (Unauthenticated, 401), (Forbidden, 403), (Missing, 404), (Conflict, 409),
    (TooLarge, 413), (Unprocessable, 422), (Throttled, 429),
    # the rules' own refusals take their kind's status
    (rules.BadAnswer, 400), (rules.Locked, 409), (rules.OpReused, 409), (rules.Stale, 409),
    (item_changes.BadChange, 400), (item_changes.NotAllowed, 403),
    (item_changes.NeedsEvidence, 422), (item_changes.BadTransition, 409),
    (Refused, 400),
])
def test_every_refusal_has_one_status(error, status):
    assert status_of(error("why")) == status


def test_the_disk_refusing_a_write_is_503():
    assert status_of(CannotStore("disk full")) == 503


def test_refusals_carry_no_http_status():
    for cls in list(STATUSES) + [rules.Stale, item_changes.NeedsEvidence]:
        assert not hasattr(cls("x"), "status") or cls is CannotStore
    assert ServiceUnprocessable is Unprocessable  # one hierarchy, re-exported by services


# ---------------------------------------------------------------- the services

@pytest.fixture
def world(app):
    store = app.extensions["store"]
    unit_service.add_unit(store, "NT", "Xã Nông Thượng")
    for name, role, unit in (("lead", "inspector", None), ("mate", "inspector", None),
                             ("newcomer", "inspector", None), ("ua", "unit", "NT"),
                             ("admin", "admin", None), ("viewer", "viewer", None)):
        accounts.create_user(store, name, role, unit=unit, password="mat-khau-dai")

    def scope(name):
        return service.scope_for(store, store.get_user(name))

    record = service.start(store, app.extensions["checklists"], scope("lead"),
                           commands.StartRequest(unit="NT", checklist="cchc-xa", period="2025",
                                                 team=("mate",)))
    return {"app": app, "store": store, "id": record.id, "scope": scope,
            "library": app.extensions["checklists"]}


def answer(criterion, base_rev=0, **content):
    return commands.answer_op(criterion, {"op_id": op(), "base_rev": base_rev, **content})


def test_save_answer_returns_a_result_and_a_retry_is_marked_replayed(world):
    store, lead = world["store"], world["scope"]("lead")
    first = answer("1.6", value=False, note="Chưa ban hành")
    saved = service.save_answer(store, lead, world["id"], first)
    assert (saved.criterion.id, saved.rev, saved.replayed) == ("1.6", 1, False)
    assert saved.answer.value is False and saved.card.line("1.6").points == 0
    again = service.save_answer(store, lead, world["id"], first)
    assert (again.rev, again.replayed) == (1, True)
    with pytest.raises(rules.OpReused):
        service.save_answer(store, lead, world["id"], commands.AnswerOp(
            op_id=first.op_id, criterion="1.6", base_rev=0, value=True))


def test_section_save_reports_saved_conflicts_and_problems_per_criterion(world):
    store, lead, mate = world["store"], world["scope"]("lead"), world["scope"]("mate")
    service.save_answer(store, mate, world["id"], answer("1.6", value=True))
    result = service.save_section(store, lead, world["id"], [
        answer("1.6", value=False),          # the mate answered it meanwhile: a conflict
        answer("1.1", value="dung_han"),     # saved
        answer("1.2", inputs={"planned": "x"}),  # refused, with the criterion's problems
    ])
    assert result.saved == ["1.1"]
    assert list(result.conflicts) == ["1.6"] and result.conflicts["1.6"]["value"] is True
    assert list(result.problems) == ["1.2"] and result.problems["1.2"]
    stored = store.get_inspection(world["id"]).answers
    assert stored["1.6"].value is True and stored["1.1"].value == "dung_han"  # nothing lost


def test_section_save_of_a_finalized_record_stops_with_a_conflict(world):
    store, lead = world["store"], world["scope"]("lead")
    service.finalize(store, lead, world["id"], commands.FinalizeOp(op(), allow_unanswered=True))
    with pytest.raises(rules.Locked):
        service.save_section(store, lead, world["id"], [answer("1.6", value=True)])
    nothing = service.save_section(store, lead, world["id"], [])
    assert (nothing.saved, nothing.conflicts, nothing.problems) == ([], {}, {})


def test_join_adds_an_inspector_once_and_refuses_others(world):
    store, newcomer = world["store"], world["scope"]("newcomer")
    inspection, member = service.join_target(store, newcomer, world["id"])
    assert (inspection.id, member) == (world["id"], False)
    joined = service.join(store, newcomer, world["id"])
    assert [m.username for m in joined.team] == ["lead", "mate", "newcomer"]
    assert service.join_target(store, world["scope"]("newcomer"), world["id"])[1] is True
    service.join(store, world["scope"]("newcomer"), world["id"])  # twice: still one member
    assert len(store.get_inspection(world["id"]).team) == 3
    assert [e.action for e in store.get_inspection(world["id"]).history].count("joined") == 1
    for name in ("ua", "viewer"):
        with pytest.raises(Missing):
            service.join_target(store, world["scope"](name), world["id"])
    with pytest.raises(Missing):
        service.join_target(store, newcomer, "nosuchrecord")
    assert service.join_target(store, world["scope"]("admin"), world["id"])[1] is True


def test_nobody_joins_a_finalized_inspection(world):
    store = world["store"]
    service.finalize(store, world["scope"]("lead"), world["id"],
                     commands.FinalizeOp(op(), allow_unanswered=True))
    with pytest.raises(rules.Locked):
        service.join_target(store, world["scope"]("newcomer"), world["id"])
    with pytest.raises(rules.Locked):
        service.join(store, world["scope"]("newcomer"), world["id"])


def test_start_options_follow_the_role(world):
    import datetime as _dt

    store, library, day = world["store"], world["library"], _dt.date(2026, 4, 1)
    unit = service.start_options(store, library, world["scope"]("ua"), "inspection", day)
    assert (unit.kind, unit.kinds) == ("self_check", ("self_check",))
    assert [u.code for u in unit.units] == ["NT"] and unit.mates == []
    assert unit.checklists[0].kind == "self_check"  # made for the kind first
    weekly = unit.periods[unit.checklists[0].id]
    assert (weekly.default, weekly.cadence) == ("2026-W14", "week")
    inspector = service.start_options(store, library, world["scope"]("lead"), "self_check", day)
    assert inspector.kinds == ("inspection",) and inspector.kind == "inspection"
    assert {u.username for u in inspector.mates} == {"mate", "newcomer", "admin"}
    assert all(c.kind in ("inspection", "any") for c in inspector.checklists)
    admin = service.start_options(store, library, world["scope"]("admin"), "self_check", day)
    assert admin.kinds == ("inspection", "self_check") and admin.kind == "self_check"
    assert len(admin.checklists) == len(library.all())


def test_finalize_refuses_unanswered_criteria_with_the_list(world):
    with pytest.raises(Unprocessable) as refused:
        service.finalize(world["store"], world["scope"]("lead"), world["id"],
                         commands.FinalizeOp(op()))
    assert "1.6" in refused.value.details["unanswered"]


# ---------------------------------------------------------------- the log

def test_one_log_line_per_request_with_its_status(world, caplog):
    client = world["app"].test_client()
    token = accounts.issue_token(world["store"], "lead", "tests")
    headers = {"Authorization": f"Bearer {token}"}
    caplog.set_level(logging.INFO, logger="inspect_app")
    client.get(f"/api/v1/inspections/{world['id']}", headers=headers)
    client.get("/api/v1/inspections/nosuchrecord", headers=headers)
    client.put(f"/api/v1/inspections/{world['id']}/answers/1.6", headers=headers,
               json={"op_id": op(), "base_rev": 0, "value": "maybe"})
    lines = [r for r in caplog.records if r.name == "inspect_app.web"
             and r.getMessage().startswith("request ")]
    assert [(r.method, r.status, r.user) for r in lines] == [
        ("GET", 200, "lead"), ("GET", 404, "lead"), ("PUT", 400, "lead")]
    assert all(r.levelno == logging.INFO and r.ms >= 0 for r in lines)
    assert f"path=/api/v1/inspections/{world['id']} status=200" in lines[0].getMessage()
    refused = [r.getMessage() for r in caplog.records if r.getMessage().startswith("refused ")]
    assert len(refused) == 2
    assert "404: Missing" in refused[0] and "400: BadAnswer criterion=1.6" in refused[1]


def test_a_server_error_is_logged_with_its_traceback(world, caplog, monkeypatch):
    app = world["app"]
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the error page, not a raise
    token = accounts.issue_token(world["store"], "lead", "tests")

    def broken(*args, **kwargs):
        raise RuntimeError("kaput")

    monkeypatch.setattr(service, "load", broken)
    caplog.set_level(logging.INFO, logger="inspect_app")
    response = app.test_client().get(f"/api/v1/inspections/{world['id']}",
                                     headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 500 and "kaput" not in response.get_data(as_text=True)
    [error] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert error.name == "inspect_app.web" and error.exc_info[0] is RuntimeError
    assert f"path=/api/v1/inspections/{world['id']}" in error.getMessage()
    [line] = [r for r in caplog.records if r.getMessage().startswith("request ")]
    assert line.status == 500
