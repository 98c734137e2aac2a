"""Replay memory for the life of a record (issue 9 point 5) and lean records (issue 12
point 3): a retry of any write, however many other writes came after it, returns the
first result and never applies twice; a record keeps no copies of responses."""
from __future__ import annotations

import io
import json
import random
import uuid
from pathlib import Path

import pytest

from inspect_app.domain import replay
from inspect_app.domain.models import SCHEMA, Answer, Inspection
from inspect_app.services import commands, demo
from inspect_app.services import inspections as service
from inspect_app.storage import upgrades

from .support import World, jpeg, op

OTHER_OPS = 300


@pytest.fixture
def world(app, client):
    return World(app, client)


def _put(api, path, body):
    return api.client.put(f"/api/v1{path}", json=body, headers=api._h())


def _answer_photo(world, record, criterion, op_id):
    return world.client.post(
        f"/api/v1/inspections/{record}/answers/{criterion}/photos",
        headers=world.api["lead"]._h(), content_type="multipart/form-data",
        data={"op_id": op_id, "photo": (io.BytesIO(jpeg()), "anh.jpg")})


def _item_photo(world, item, op_id, note):
    return world.client.post(
        f"/api/v1/remediation/{item}/photos", headers=world.api["lead"]._h(),
        content_type="multipart/form-data",
        data={"op_id": op_id, "note": note, "photo": (io.BytesIO(jpeg()), "anh.jpg")})


def _photo_files(world) -> int:
    return len(list((Path(world.app.config["DATA_DIR"]) / "photos").rglob("*.full.jpg")))


def test_every_kind_of_write_is_replayed_after_300_other_ops(world):
    lead = world.api["lead"]
    record = world.start("lead", "NT", team=["mate"])
    first: dict[str, tuple[str, dict, object]] = {}  # kind → (op_id, body, first response)

    body = {"op_id": op(), "base_rev": 0, "value": False, "note": "Chưa ban hành kế hoạch"}
    first["answer"] = (body["op_id"], body, _put(lead, f"/inspections/{record}/answers/1.6", body))
    op_id = op()
    first["answer photo"] = (op_id, {}, _answer_photo(world, record, "1.6", op_id))
    body = {"op_id": op(), "finding": "Chưa niêm yết thủ tục mới"}
    first["new item"] = (body["op_id"], body, lead.post(f"/inspections/{record}/remediation", body))
    item = first["new item"][2].json["id"]
    body = {"op_id": op(), "progress_note": "Đã liên hệ văn phòng"}
    first["progress note"] = (body["op_id"], body,
                              world.client.patch(f"/api/v1/remediation/{item}", json=body,
                                                 headers=lead._h()))
    op_id = op()
    first["item photo"] = (op_id, {}, _item_photo(world, item, op_id, "Ảnh bảng niêm yết"))
    # The criterion of the first answer changes again afterwards: its retry must not
    # become a stale write (409).
    rev = first["answer"][2].json["rev"] + 1  # the photo bumped the answer
    for n in range(20):
        response = _put(lead, f"/inspections/{record}/answers/1.6",
                            {"op_id": op(), "base_rev": rev, "value": n % 2 == 0,
                             "note": f"Lần {n}"})
        assert response.status_code == 200, response.json
        rev = response.json["rev"]
    body = {"op_id": op(), "allow_unanswered": True}
    first["finalize"] = (body["op_id"], body, lead.post(f"/inspections/{record}/finalize", body))
    for kind, (_, _, response) in first.items():
        assert response.status_code in (200, 201), (kind, response.json)
    for n in range(OTHER_OPS - 20):  # other ops on the same record: progress notes
        response = world.client.patch(f"/api/v1/remediation/{item}", headers=lead._h(),
                                      json={"op_id": op(), "progress_note": f"Tiến độ {n}"})
        assert response.status_code == 200, response.json
    before = world.record(record)
    files = _photo_files(world)

    retries = {
        "answer": _put(lead, f"/inspections/{record}/answers/1.6", first["answer"][1]),
        "answer photo": _answer_photo(world, record, "1.6", first["answer photo"][0]),
        "new item": lead.post(f"/inspections/{record}/remediation", first["new item"][1]),
        "progress note": world.client.patch(f"/api/v1/remediation/{item}", headers=lead._h(),
                                            json=first["progress note"][1]),
        "item photo": _item_photo(world, item, first["item photo"][0], "Ảnh bảng niêm yết"),
        "finalize": lead.post(f"/inspections/{record}/finalize", first["finalize"][1]),
    }
    for kind, response in retries.items():
        assert response.status_code == first[kind][2].status_code, (kind, response.json)
    after = world.record(record)
    assert after.rev == before.rev  # nothing was written
    assert _photo_files(world) == files  # no second copy of a photo is kept
    assert len(after.items) == len(before.items)
    assert len(after.answers["1.6"].photos) == 1
    notes = [p.note for p in after.item(item).progress]
    assert notes.count("Đã liên hệ văn phòng") == 1 and notes.count("Ảnh bảng niêm yết") == 1
    # The same shape as the first answers (DESIGN §5), rebuilt from the record.
    answer = retries["answer"].json
    assert answer["rev"] == first["answer"][2].json["rev"]
    assert {"criterion", "rev", "answer", "line"} <= set(answer)
    assert retries["answer photo"].json["photo"]["id"] == first["answer photo"][2].json["photo"]["id"]
    assert retries["new item"].json["id"] == item
    assert retries["finalize"].json["status"] == "finalized"
    assert retries["finalize"].json["score"] == first["finalize"][2].json["score"]
    assert len(after.ops) == len(before.ops) >= OTHER_OPS + len(first)


def test_a_reused_op_id_with_other_content_is_still_refused_after_300_ops(world):
    record = world.start("lead", "NT")
    lead = world.api["lead"]
    op_id = op()
    assert _put(lead, f"/inspections/{record}/answers/1.6",
                    {"op_id": op_id, "base_rev": 0, "value": True}).status_code == 200
    for n in range(OTHER_OPS):
        body = {"op_id": op(), "base_rev": n + 1, "value": n % 2 == 1}
        assert _put(lead, f"/inspections/{record}/answers/1.6", body).status_code == 200
    response = _put(lead, f"/inspections/{record}/answers/1.6",
                        {"op_id": op_id, "base_rev": 0, "value": False})
    assert response.status_code == 409 and response.json["op_id"] == op_id


def test_remembered_ops_hold_no_copies_of_responses(world):
    record = world.start("lead", "NT")
    world.answer("lead", record, "1.6", value=False, note="Chưa ban hành " * 40)
    [packed] = world.record(record).ops.values()
    assert isinstance(packed, str) and len(packed) < 40 and "Chưa" not in packed


# ---------------------------------------------------------------- older records

def _legacy_ops(inspection: Inspection, op_id: str, response: dict, status: int,
                digest: str, at: str) -> dict:
    return {op_id: {"fingerprint": digest, "status": status, "result": response, "at": at}}


@pytest.mark.tinydb
def test_a_schema_1_record_with_whole_responses_is_upgraded_and_still_replays(world):
    """Records stored before the compact memory kept ``{op_id: {fingerprint, status,
    result, at}}``; read back, their ops are remembered compactly and still replayed."""
    record = world.start("lead", "NT")
    lead = world.api["lead"]
    answer_body = {"op_id": op(), "base_rev": 0, "value": False, "note": "Chưa ban hành"}
    answered = _put(lead, f"/inspections/{record}/answers/1.6", answer_body).json
    item_body = {"op_id": op(), "finding": "Chưa niêm yết"}
    created = lead.post(f"/inspections/{record}/remediation", item_body).json
    note_body = {"op_id": op(), "progress_note": "Đã liên hệ"}
    noted = world.client.patch(f"/api/v1/remediation/{created['id']}", json=note_body,
                               headers=lead._h()).json
    # Rewrite the file as schema 1 stored it: whole responses under the raw op_ids.
    path = world.store._inspection_path(record)
    stored = json.loads(path.read_bytes())
    doc = stored["inspection"]["1"]
    answer_fp = service.rules.fingerprint("answer", "1.6", service.rules.clean_content(answer_body))
    item_fp = service.rules.fingerprint("new_item", record, {
        "finding": "Chưa niêm yết", "criterion": None})
    note_fp = service.rules.fingerprint("item", created["id"], {"progress_note": "Đã liên hệ"})
    doc["ops"] = {
        answer_body["op_id"]: {"fingerprint": answer_fp, "status": 200, "at": "t",
                               "result": {k: v for k, v in answered.items() if k != "totals"}},
        item_body["op_id"]: {"fingerprint": item_fp, "status": 201, "result": created,
                             "at": created["created_at"]},
        note_body["op_id"]: {"fingerprint": note_fp, "status": 200, "result": noted,
                             "at": noted["progress"][0]["at"]},
    }
    doc["schema"] = 1
    path.write_bytes(json.dumps(stored, ensure_ascii=False).encode())

    loaded = world.record(record)
    assert all(isinstance(v, str) for v in loaded.ops.values()) and len(loaded.ops) == 3
    assert _put(lead, f"/inspections/{record}/answers/1.6", answer_body).status_code == 200
    again = lead.post(f"/inspections/{record}/remediation", item_body)
    assert again.status_code == 201 and again.json["id"] == created["id"]
    assert world.client.patch(f"/api/v1/remediation/{created['id']}", json=note_body,
                              headers=lead._h()).status_code == 200
    after = world.record(record)
    assert len(after.items) == 1 and len(after.item(created["id"]).progress) == 1
    assert after.answers["1.6"].rev == 1


def test_the_schema_upgrade_step_and_the_memory_store_read_old_ops():
    old = {"abcdefgh-1": {"fingerprint": "ab" * 32, "status": 200, "at": "t",
                          "result": {"criterion": "1.6", "rev": 3, "answer": {}, "line": {}}}}
    doc = upgrades.upgrade({"schema": 1, "id": "x", "ops": old})
    assert doc["schema"] == SCHEMA == 2
    assert doc["ops"] == {replay.op_key("abcdefgh-1"): replay.short_fingerprint("ab" * 32) + "a1.6 3"}
    memo = replay.unpack(doc["ops"][replay.op_key("abcdefgh-1")])
    assert (memo.kind, memo.target, memo.rev) == ("a", "1.6", 3)
    # A record handed to any store as a dict (the memory store, imports) is compacted too.
    record = Inspection.from_dict({"id": "x", "unit": "A", "checklist": {}, "period": "2025",
                                   "kind": "inspection", "ops": old})
    assert record.ops == doc["ops"]


# ---------------------------------------------------------------- lean records (issue 12.3)

def busy_record(world, saves: int = 300) -> str:
    """A cchc-xa inspection with every criterion answered that can be, then re-saved
    until ``saves`` saves are behind it (a note changed each time)."""
    record = world.start("lead", "NT")
    scope = world.scope("lead")
    checklist = service.checklist_of(world.record(record))
    answers = demo._answers(checklist, "NT", random.Random(1), 1.0)
    revs: dict[str, int] = {}
    ids = list(answers)
    for n in range(saves):
        cid = ids[n % len(ids)]
        body = {"op_id": str(uuid.uuid4()), "base_rev": revs.get(cid, 0), **answers[cid],
                "note": f"Đã kiểm tra hồ sơ, lần {n}"}
        result = service.save_answer(world.store, scope, record, commands.answer_op(cid, body))
        assert not result.replayed, result
        revs[cid] = result.rev
    return record


@pytest.mark.tinydb
def test_a_busy_59_criteria_inspection_stays_under_20_kb_on_disk(world):
    record = busy_record(world)
    inspection = world.record(record)
    assert len(service.checklist_of(inspection).criteria) == 59
    assert len(inspection.answers) >= 57 and len(inspection.ops) == 300
    size = world.store._inspection_path(record).stat().st_size
    assert size < 20_000, size


def test_a_save_validates_and_scores_once(world, monkeypatch):
    """Saving an answer checks it once (put_answer) and computes one score card, without
    validating all answers again (issue 12 point 3)."""
    from inspect_app.domain import inspection as rules
    from inspect_app.domain import scoring

    record = world.start("lead", "NT")
    calls = {"answer_problems": 0, "score": 0, "validate_answers": 0}

    def counting(name, function):
        def wrapped(*args, **kwargs):
            calls[name] += 1
            return function(*args, **kwargs)
        return wrapped

    monkeypatch.setattr(rules, "answer_problems", counting("answer_problems", rules.answer_problems))
    monkeypatch.setattr(service, "score", counting("score", service.score))
    monkeypatch.setattr(scoring, "validate_answers",
                        counting("validate_answers", scoring.validate_answers))
    result = service.save_answer(world.store, world.scope("lead"), record, commands.answer_op(
        "1.2", {"op_id": op(), "base_rev": 0, "inputs": {"planned": 20, "done": 16}}))
    assert not result.replayed and result.card.progress().answered == 1
    assert calls == {"answer_problems": 1, "score": 1, "validate_answers": 0}


@pytest.mark.parametrize("answer, stored", [
    (Answer(rev=1, value=False, by="a", at="t"), {"rev": 1, "value": False, "by": "a", "at": "t"}),
    (Answer(rev=2, value=0, by="a", at="t"), {"rev": 2, "value": 0, "by": "a", "at": "t"}),
    (Answer(rev=3, value=None, inputs={"done": 0}, note="Ghi chú", by="a", at="t"),
     {"rev": 3, "inputs": {"done": 0}, "note": "Ghi chú", "by": "a", "at": "t"}),
    (Answer(rev=4, na=True, photos=["p1"], explanation="Giải trình", by="a", at="t"),
     {"rev": 4, "na": True, "photos": ["p1"], "explanation": "Giải trình", "by": "a", "at": "t"}),
])
def test_stored_answers_leave_out_only_empty_defaults(answer, stored):
    assert answer.to_dict() == stored
    assert Answer.from_dict(answer.to_dict()) == answer
