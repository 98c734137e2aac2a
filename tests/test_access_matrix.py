"""Every route of the app, as every role, on records of the own and of a foreign unit.

The tables below are the access specification (DESIGN §8, ``domain/access.py``),
written out by hand so that a change of the rules shows up here as a failing case:

* ``SEES`` / ``EDITS`` / ``FINALIZES`` / ``REOPENS`` — who may do what with each record
  of the world (see ``tests/access_world.py``);
* ``MATRIX`` — one dict per endpoint: the targets it is tried on and, per HTTP method,
  a rule that gives the expected answer for a role and a target (plus the request body).

Policy the rules encode: an anonymous request to a page goes to the login page, to the
API gets 401; a record the user may not see is a 404 (never 403, never 200), so ids
cannot be probed; a record the user may see but not change is a 403; a write to a
finalized record is a 409; a role that may never use a page gets 403. Every refused
request must leave the stored data exactly as it was.

A route that the app has and ``MATRIX`` does not cover fails
``test_every_route_is_in_the_matrix``: add a dict for it. Entries for endpoints the app
does not (yet) register are simply not run.
"""
from __future__ import annotations

import io
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from inspect_app import create_app

from .access_world import (
    CHECKLIST_ID,
    PARAM_FILLERS,
    PASSWORD,
    ROLES,
    UNIT_OF,
    build_world,
    login_client,
    png_bytes,
    url_for_target,
)

ANON = "anon"
CHECKLIST_YAML = ("format: 1\nid: moi\nversion: '1'\ntitle: Mới\nkind: any\nsections:\n"
                  "- id: s\n  title: Phần\n  criteria:\n  - {id: c, text: Tiêu chí, type: yesno, "
                  "points: 1}\n")
ALL_ROLES = (ANON,) + ROLES  # anon, admin, insp, outsider, viewer, unit_a, unit_b

# ---------------------------------------------------------------- who may do what (the spec)

A_RECORDS = ("insp_draft", "insp_final", "self_a")
B_RECORDS = ("self_b", "self_b_final")
RECORDS = A_RECORDS + B_RECORDS
DRAFTS = ("insp_draft", "self_a", "self_b")
FINALIZED = ("insp_final", "self_b_final")

#: Who may read the record (and its photos, sections, review, documents, API form).
#: A unit user sees its own unit's self-checks and finalized inspections, never a draft
#: inspection; an inspector sees the units of inspections whose team they are on.
SEES = {
    "insp_draft": {"admin", "viewer", "insp"},
    "insp_final": {"admin", "viewer", "insp", "unit_a"},
    "self_a": {"admin", "viewer", "insp", "unit_a"},
    "self_b": {"admin", "viewer", "unit_b"},
    "self_b_final": {"admin", "viewer", "unit_b"},
    "unit:A": {"admin", "viewer", "insp", "unit_a"},
    "unit:B": {"admin", "viewer", "unit_b"},
    # assessments of A (DESIGN §10): the unit sees its own from the self-score on
    "assess_self": {"admin", "viewer", "insp", "unit_a"},
    "assess_round": {"admin", "viewer", "insp", "unit_a"},
    "assess_explain": {"admin", "viewer", "insp", "unit_a"},
}
#: Assessments of A by stage: self-score (c1 answered only), appraisal round 1,
#: explanation (c1 asked to be explained).
ASSESSMENTS = ("assess_self", "assess_round", "assess_explain")
PROVINCE = {"admin", "insp"}  # the appraising side of A's assessments
#: Who may change answers and photos (a finalized record then answers 409).
EDITS = {
    "insp_draft": {"admin", "insp"}, "insp_final": {"admin", "insp"},
    "self_a": {"admin", "unit_a"},
    "self_b": {"admin", "unit_b"}, "self_b_final": {"admin", "unit_b"},
}
#: Adding items to a remediation plan (before or after finalizing): who may edit the record.
PLANS = EDITS
#: Updating an item (progress, status, a progress photo): the unit itself, the team, admins.
UPDATES_ITEMS = {"insp_final": {"admin", "insp", "unit_a"}, "self_b_final": {"admin", "unit_b"}}
#: Verifying a done item: admins, and inspectors of the record's unit.
VERIFIES = {"insp_final": {"admin", "insp"}, "self_b_final": {"admin"}}
#: Finalizing: an admin, the team lead of an inspection, any user of the unit for a self-check.
FINALIZES = EDITS
#: The lead of each record: who started it.
LEADS = {"insp_draft": "insp", "insp_final": "insp", "self_a": "unit_a", "self_b": "unit_b",
         "self_b_final": "unit_b"}
#: Reopening a finalized record: an admin or the lead.
REOPENS = {record: {"admin", lead} for record, lead in LEADS.items()}
#: Starting records: (kind, unit) -> roles. Inspectors start inspections of any unit,
#: a unit user only self-checks of its own unit.
STARTS = {
    "inspection@A": {"admin", "insp", "outsider"},
    "self_check@A": {"admin", "unit_a"},
    "self_check@B": {"admin", "unit_b"},
}


@dataclass(frozen=True)
class Expect:
    """The expected answer: status, whether stored data may change, where a redirect goes."""

    status: int
    changes: bool = False
    location: str | None = None


Rule = Callable[[str, str | None], Expect]

LOGIN = Expect(302, location="/login")
API_401 = Expect(401)


def everyone(status: int, changes: bool = False) -> Rule:
    """Every logged-in user."""
    return lambda role, target: Expect(status, changes)


def only(roles: set[str], status: int, changes: bool = False) -> Rule:
    """These roles; any other logged-in user gets 403 (the page is not for their role)."""
    return lambda role, target: Expect(status, changes) if role in roles else Expect(403)


def sees(status: int) -> Rule:
    """A read: those who see the target; 404 for everybody else."""
    return lambda role, target: Expect(status) if role in SEES[target] else Expect(404)


#: Finished export jobs of the world ("job@<owner role>").
JOBS = ("job@admin", "job@insp")


def owner_only(role: str, target: str | None) -> Expect:
    """A job's pages: its owner; 403 for unit users (no exports at all); 404 for the rest."""
    if role == target.split("@")[1]:
        return Expect(200)
    return Expect(403) if role.startswith("unit_") else Expect(404)


def writes(allowed: dict[str, set[str]], status: int, *, locked: int | None = 409,
           see_only: int = 403) -> Rule:
    """A write: ``allowed[target]`` succeed (``locked`` on a finalized record, unless None:
    then it succeeds there too), those who only see it get ``see_only``, everybody else 404."""
    def rule(role: str, target: str | None) -> Expect:
        if role in allowed.get(target, ()):
            if target in FINALIZED and locked is not None:
                return Expect(locked)
            return Expect(status, changes=True)
        if role in SEES[target]:
            return Expect(see_only)
        return Expect(404)
    return rule


def starts(status: int, *, refused_own: int, refused_foreign: int) -> Rule:
    """Starting a record (target ``kind@unit``)."""
    def rule(role: str, target: str | None) -> Expect:
        if role in STARTS[target]:
            return Expect(status, changes=True)
        if role == "viewer":
            return Expect(403)
        unit = target.split("@")[1]
        if role.startswith("unit_") and role != f"unit_{unit.lower()}":
            return Expect(refused_foreign)
        return Expect(refused_own)
    return rule


def assessment_rule(status: dict[str, dict[str, int]]) -> Rule:
    """An assessment write: ``status[target][role]`` for the roles listed (2xx changes
    data), 403 for those who only see the record, 404 for everybody else."""
    def rule(role: str, target: str | None) -> Expect:
        expected = status[target].get(role)
        if expected is not None:
            return Expect(expected, changes=expected < 300)
        return Expect(403) if role in SEES[target] else Expect(404)
    return rule


#: Advancing: the unit ends ``self`` (here refused: c2 and c3 unanswered) and
#: ``explanation``; the province every stage.
ADVANCES = {"assess_self": {"admin": 422, "insp": 422, "unit_a": 422},
            "assess_round": {"admin": 200, "insp": 200},
            "assess_explain": {"admin": 200, "insp": 200, "unit_a": 200}}
#: Appraising c1: the province in a round (409 in another stage).
APPRAISES = {"assess_self": {"admin": 409, "insp": 409},
             "assess_round": {"admin": 200, "insp": 200},
             "assess_explain": {"admin": 409, "insp": 409}}
#: Explaining c1: the unit, in the explanation stage (409 in another).
EXPLAINS = {"assess_self": {"unit_a": 409}, "assess_round": {"unit_a": 409},
            "assess_explain": {"unit_a": 200}}


PROVINCE_ROLES = {"admin", "insp", "outsider"}  # the roles the appraisal pages are for


def page_rule(roles: set[str], status: int, *, changes: dict[str, set[str]] | None = None
              ) -> Rule:
    """An assessment page for ``roles`` (others: 403): ``status`` for those of them who
    see the record (changing data where ``changes[target]`` lists them), 404 for the rest."""
    def rule(role: str, target: str | None) -> Expect:
        if role not in roles:
            return Expect(403)
        if role not in SEES[target]:
            return Expect(404)
        if role not in PROVINCE and role in PROVINCE_ROLES:
            return Expect(403)
        return Expect(status, changes=role in (changes or {}).get(target, ()))
    return rule


def appraisal_form(world, store, target):
    return {"data": {"c0_value": "false", "c0_note": "Chưa thấy", "c0_op_id": _op(),
                     "c0_base_rev": str(_round_rev(store, world, target)), "c0_orig": "x"}}


def _round_rev(store, world, target) -> int:
    record = store.get_inspection(world.records[target])
    answer = record.rounds.get(record.stage or "", {}).get("c1")
    return answer.rev if answer else 0


# ---------------------------------------------------------------- request bodies

def _op() -> str:
    return str(uuid.uuid4())


def _c1_rev(store, world, target) -> int:
    answer = store.get_inspection(world.records[target]).answers.get("c1")
    return answer.rev if answer else 0


def _item_rev(store, world, target) -> int:
    return store.get_inspection(world.records[target]).item(world.items[target]).rev


def section_body(world, store, target):
    return {"data": {"c0_value": "true", "c0_note": "đã sửa", "c0_op_id": _op(),
                     "c0_base_rev": str(_c1_rev(store, world, target)), "c0_orig": "x"}}


def photo_form(world, store, target):
    return {"data": {"op_id": _op(), "photo": (io.BytesIO(png_bytes()), "anh.png")},
            "content_type": "multipart/form-data"}


# A period of its own: the world's drafts of 2025 would (rightly) be offered instead.
def start_form(world, store, target):
    kind, unit = target.split("@")
    return {"data": {"kind": kind, "unit": unit, "checklist": CHECKLIST_ID, "period": "2026"}}


def start_json(world, store, target):
    kind, unit = target.split("@")
    return {"json": {"kind": kind, "unit": unit, "checklist": CHECKLIST_ID, "period": "2026"}}


def answer_json(world, store, target):
    return {"json": {"op_id": _op(), "base_rev": _c1_rev(store, world, target), "value": True}}


def join_query(world, store, target):
    from inspect_app.web.fill import _serializer
    return {"query_string": {"t": _serializer().dumps(world.records[target])}}


def join_form(world, store, target):
    from inspect_app.web.fill import _serializer
    return {"data": {"t": _serializer().dumps(world.records[target])}}


# -- remediation items (web/remediation.py, the item routes of the API)

#: The records that have remediation items (their first item is the target).
ITEM_RECORDS = ("insp_final", "self_b_final")
#: Progress and status up to done: the unit itself, or the inspection's team.
UPDATES_ITEMS = {"insp_final": {"admin", "insp", "unit_a"}, "self_b_final": {"admin", "unit_b"}}
#: Every column and new items: whoever may edit the record (also once it is finalized).
PLANS = EDITS
#: Verifying: the inspecting side (admin, inspectors of the unit), never the unit itself.
VERIFIES = {"insp_final": {"admin", "insp"}, "self_b_final": {"admin"}}


def _item_rev(world, store, target) -> int:
    return store.get_inspection(world.records[target]).item(world.items[target]).rev


def item_progress_form(world, store, target):
    return {"data": {"op_id": _op(), "base_rev": str(_item_rev(world, store, target)),
                     "status": "in_progress", "progress_note": "Đã giao công chức thực hiện"}}


def item_columns_form(world, store, target):
    return {"data": {"op_id": _op(), "base_rev": str(_item_rev(world, store, target)),
                     "owner": "Văn phòng HĐND-UBND xã", "due": "2030-01-31"}}


def item_review_form(world, store, target):
    return {"data": {"op_id": _op(), "base_rev": str(_item_rev(world, store, target)),
                     "go": "verify"}}


def item_patch_json(world, store, target):
    return {"json": {"op_id": _op(), "base_rev": _item_rev(world, store, target),
                     "progress_note": "Đã giao công chức thực hiện"}}


def allows(allowed: dict[str, set[str]], status: int, *, changes: bool = True) -> Rule:
    """A write that finalizing does not lock: ``allowed[target]`` get ``status``, those
    who only see the target 403, everybody else 404."""
    def rule(role: str, target: str | None) -> Expect:
        if role in allowed.get(target, ()):
            return Expect(status, changes=changes)
        return Expect(403) if role in SEES[target] else Expect(404)
    return rule


def join_rule(method: str) -> Rule:
    """Joining from a team mate's QR code: inspectors and admins only, inspections only."""
    def rule(role: str, target: str | None) -> Expect:
        if target == "self_a" or role not in ("admin", "insp", "outsider"):
            return Expect(404)
        if role in ("admin", "insp"):  # already may edit: straight to the record
            return Expect(302)
        if target in FINALIZED:
            return Expect(409)  # a finalized record takes no new team members: said at once
        if method == "GET":
            return Expect(200)
        return Expect(302, changes=True)
    return rule


def review_rule(role: str, target: str | None) -> Expect:
    """Verifying an item: only the inspecting side (never a unit user, whatever the record).
    The world's items are still open, so an allowed verifier is told it is not done yet."""
    if role.startswith("unit_"):
        return Expect(403)
    if role in VERIFIES[target]:
        return Expect(409)
    return Expect(403) if role in SEES[target] else Expect(404)


def confirm_rule(role: str, target: str | None) -> Expect:
    """The finalize confirmation step: those who may finalize see it (a finalized record
    sends them to its overview), those who only see the record get 403; nothing changes."""
    if role in FINALIZES[target]:
        return Expect(302 if target in FINALIZED else 200)
    if role in SEES[target]:
        return Expect(403)
    return Expect(404)


def reopen_rule(role: str, target: str | None) -> Expect:
    """Reopening: an admin or the record's lead; on a draft there is nothing to reopen (the
    page says so and changes nothing)."""
    if role in REOPENS[target]:
        return Expect(302, changes=target in FINALIZED)
    if role in SEES[target]:
        return Expect(403)
    return Expect(404)


def door_rule(role: str, target: str | None) -> Expect:
    """The door QR link: a unit's own users go to its self-check, others who see the unit
    to its page, an inspector to a new inspection of it; nobody learns of another unit."""
    if role.startswith("unit_"):
        return Expect(302) if role == f"unit_{UNIT_OF[target].lower()}" else Expect(404)
    if role in SEES[target] or role in ("insp", "outsider"):
        return Expect(302)
    return Expect(404)


# ---------------------------------------------------------------- the matrix

UNITS = ("unit:A", "unit:B")
STARTS_TARGETS = tuple(STARTS)
ADMIN = {"admin"}
DIGEST_ROLES = {"insp", "outsider", "unit_a", "unit_b"}  # those who get a digest

#: endpoint -> {"targets": …, METHOD: rule, "body": {METHOD: builder}, "public": bool,
#:              "api": bool}. Targets name records (RECORDS), units ("unit:A") or
#: start requests ("kind@unit"); None for routes about no record.
MATRIX: dict[str, dict] = {
    # -- public pages and the session
    "static": {"public": True, "GET": everyone(200)},
    "favicon": {"public": True, "GET": everyone(200)},
    # -- the installable field app (web/pwa.py): shell files for everyone, the queue page
    "pwa.manifest": {"public": True, "GET": everyone(200)},
    "pwa.service_worker": {"public": True, "GET": everyone(200)},
    "pwa.offline": {"public": True, "GET": everyone(200)},
    "pwa.session": {"public": True, "GET": everyone(200)},
    "pwa.queue": {"GET": everyone(200)},
    "auth.login": {
        "public": True,
        "GET": lambda role, t: Expect(200) if role == ANON else Expect(302),
        "POST": lambda role, t: Expect(401) if role == ANON else Expect(302),
        "body": {"POST": lambda w, s, t: {"data": {"username": "nobody",
                                                     "password": "wrong-password-1"}}},
    },
    "auth.logout": {"public": True, "POST": everyone(302)},
    "set_language": {"public": True, "POST": everyone(302),
                     "body": {"POST": lambda w, s, t: {"data": {"lang": "en", "next": "/"}}}},
    # -- pages for everyone logged in
    "index": {"GET": everyone(200)},
    "checklists.checklist_list": {"GET": everyone(200)},
    "checklists.detail": {"GET": everyone(200)},
    "checklists.workbook": {"GET": everyone(200)},
    # -- checklist administration (web/checklists.py): admins only; drafts are per upload
    "checklists.upload": {
        "POST": only(ADMIN, 302),
        "body": {"POST": lambda w, s, t: {
            "data": {"file": (io.BytesIO(CHECKLIST_YAML.encode()), "moi.yaml")},
            "content_type": "multipart/form-data"}},
    },
    "checklists.draft": {"GET": only(ADMIN, 404)},  # the world has no draft: an unknown token
    "checklists.publish": {"POST": only(ADMIN, 404)},
    "checklists.retire": {"POST": only(ADMIN, 302),
                          "body": {"POST": lambda w, s, t: {"data": {"retired": "0"}}}},
    "checklists.versions": {"GET": only(ADMIN, 200)},
    "inspections.index": {"GET": everyone(200)},
    # -- units and users
    "units.index": {"GET": only({"admin", "insp", "outsider", "viewer"}, 200)},
    "units.detail": {"targets": UNITS, "GET": sees(200)},
    "units.add": {"POST": only(ADMIN, 302, changes=True),
                  "body": {"POST": lambda w, s, t: {"data": {"code": "C", "name": "Xã Mới"}}}},
    "units.import_csv": {
        "POST": only(ADMIN, 302, changes=True),
        "body": {"POST": lambda w, s, t: {
            "data": {"file": (io.BytesIO("code,name\nD,Xã Đông\n".encode()), "u.csv")},
            "content_type": "multipart/form-data"}},
    },
    # merging and renaming (issue 14 point 4): admins only; a confirmed merge changes data
    "units.merge": {"GET": only(ADMIN, 200), "POST": only(ADMIN, 302, changes=True),
                    "body": {"POST": lambda w, s, t: {"data": {
                        "olds": ["B"], "into": "A", "on": "01/07/2025", "confirm": "1"}}}},
    "units.rename": {"targets": UNITS, "POST": only(ADMIN, 302, changes=True),
                     "body": {"POST": lambda w, s, t: {"data": {"name": "Xã Đổi Tên",
                                                                "on": "01/07/2025"}}}},
    "users.index": {"GET": only(ADMIN, 200)},
    "users.create": {
        "POST": only(ADMIN, 302, changes=True),
        "body": {"POST": lambda w, s, t: {"data": {
            "username": "moi", "role": "viewer", "unit": "", "password": "mat-khau-moi-1"}}},
    },
    # one user's page (the viewer's): admins only; a user's own account: everybody
    "users.edit": {"GET": only(ADMIN, 200)},
    "users.update": {
        "POST": only(ADMIN, 302, changes=True),
        "body": {"POST": lambda w, s, t: {"data": {
            "full_name": "Người Xem", "position": "Chuyên viên", "role": "viewer", "unit": "",
            "active": "y"}}},
    },
    "users.reset_password": {"POST": only(ADMIN, 200, changes=True)},  # a generated one
    "users.create_token": {"POST": only(ADMIN, 200, changes=True),
                           "body": {"POST": lambda w, s, t: {"data": {"label": "báo cáo"}}}},
    "users.revoke_token": {"POST": only(ADMIN, 302, changes=True)},
    "account.index": {"GET": everyone(200)},
    "account.change_password": {
        "POST": everyone(302, changes=True),
        "body": {"POST": lambda w, s, t: {"data": {
            "current_password": PASSWORD, "password": "mot-mat-khau-khac-9",
            "confirm": "mot-mat-khau-khac-9"}}},
    },
    "account.create_token_mine": {"POST": everyone(200, changes=True),
                                  "body": {"POST": lambda w, s, t: {"data": {"label": "của tôi"}}}},
    # the viewer's token: only the viewer revokes it here; to anybody else it does not exist
    "account.revoke_token_mine": {
        "POST": lambda role, t: Expect(302, changes=True) if role == "viewer" else Expect(404)},
    # the audit log of admin actions (web/audit.py): admins only, the page and its workbook
    "audit.index": {"GET": only(ADMIN, 200), "body": {"GET": lambda w, s, t: {
        "query_string": {"action": "user.create", "from": "2020-01-01"}}}},
    "audit.workbook": {"GET": only(ADMIN, 200), "body": {"GET": lambda w, s, t: {
        "query_string": {"by": "admin"}}}},
    "province.edit": {"GET": only(ADMIN, 200)},
    "province.save": {
        "POST": only(ADMIN, 302, changes=True),
        "body": {"POST": lambda w, s, t: {"data": {
            "inspecting_body": "Sở Nội vụ", "superior_body": "UBND TỈNH THỬ",
            "one_stop_centre": "Trung tâm Phục vụ hành chính công",
            "public_url": "https://cchc.example.vn"}}},
    },
    # -- starting records (a form naming a unit the user may not use is shown again, 400)
    "inspections.new": {
        "targets": STARTS_TARGETS,
        "GET": only({"admin", "insp", "outsider", "unit_a", "unit_b"}, 200),
        "POST": starts(302, refused_own=400, refused_foreign=400),
        "body": {"POST": start_form},
    },
    # -- reading a record
    "inspections.view": {"targets": RECORDS + ASSESSMENTS, "GET": sees(200)},
    "inspections.photo": {"targets": RECORDS, "GET": sees(200)},
    "inspections.compare": {
        "targets": RECORDS,
        # only unit A has an inspection and a self-check of the same checklist and period
        "GET": lambda role, t: sees(200)(role, t) if UNIT_OF[t] == "A" else Expect(404),
    },
    "fill.section": {"targets": RECORDS + ASSESSMENTS, "GET": sees(200)},
    "fill.review": {"targets": RECORDS, "GET": sees(200)},
    "documents.minutes": {"targets": RECORDS, "GET": sees(200)},
    "documents.plan": {"targets": RECORDS, "GET": sees(200)},
    "documents.minutes_pdf": {"targets": RECORDS, "GET": sees(200)},
    "documents.plan_pdf": {"targets": RECORDS, "GET": sees(200)},
    # the appraisal result of an assessment (kết quả thẩm định): other records have none
    "documents.appraisal_result": {
        "targets": RECORDS + ASSESSMENTS,
        "GET": lambda role, t: sees(200 if t in ASSESSMENTS else 404)(role, t)},
    # -- changing a record in the browser
    # a finalized record: the section comes back as typed (409), nothing saved
    "fill.save_section": {"targets": RECORDS, "POST": writes(EDITS, 302),
                          "body": {"POST": section_body}},
    "fill.upload_photo": {"targets": RECORDS, "POST": writes(EDITS, 302, locked=302),
                          "body": {"POST": photo_form}},
    "fill.delete_photo": {"targets": RECORDS, "POST": writes(EDITS, 302, locked=302)},
    "fill.confirm_finalize": {"targets": RECORDS, "GET": confirm_rule},
    "fill.finalize": {
        "targets": RECORDS, "POST": writes(FINALIZES, 302, locked=302),
        "body": {"POST": lambda w, s, t: {"data": {"op_id": _op(), "allow_unanswered": "y"}}},
    },
    "fill.reopen": {
        "targets": FINALIZED + ("self_a",), "POST": reopen_rule,
        "body": {"POST": lambda w, s, t: {"data": {"reason": "Sửa điểm tiêu chí 1.1"}}},
    },
    "fill.join": {
        "targets": ("insp_draft", "insp_final", "self_a"),
        "GET": join_rule("GET"), "POST": join_rule("POST"),
        "body": {"GET": join_query, "POST": join_form},
    },
    "fill.join_qr_svg": {
        "targets": RECORDS,  # drawn for those who may fill a draft inspection
        "GET": lambda role, t: (Expect(200) if t == "insp_draft" and role in EDITS[t]
                                else Expect(403) if role in SEES[t] else Expect(404)),
    },
    # -- door QR codes
    "qr.door": {"targets": UNITS, "GET": door_rule},
    "qr.door_svg": {"targets": UNITS, "GET": sees(200)},
    "qr.door_sheet": {"GET": only({"admin", "insp", "outsider"}, 200)},
    # -- Excel exports: not for unit users; the unit filter offers only visible units
    "exports.index": {"GET": only({"admin", "insp", "outsider", "viewer"}, 200)},
    "exports.workbook": {
        "targets": UNITS,
        "GET": lambda role, t: (Expect(403) if role.startswith("unit_")
                                else Expect(200) if role in SEES[t] else Expect(400)),
        "body": {"GET": lambda w, s, t: {"query_string": {
            "units": UNIT_OF[t], "checklist": "", "kind": "", "lang": "vi"}}},
    },
    # -- background exports: started by the export roles (CSRF), seen only by their owner
    "exports.start_job": {
        "POST": only({"admin", "insp", "outsider", "viewer"}, 303),
        "body": {"POST": lambda w, s, t: {"data": {"lang": "vi", "checklist": "", "kind": ""}}},
    },
    "exports.job": {"targets": JOBS, "GET": owner_only},
    "exports.job_status": {"targets": JOBS, "GET": owner_only},
    "exports.job_download": {"targets": JOBS, "GET": owner_only},
    # -- the JSON API (Bearer tokens)
    "api.create_inspection": {
        "api": True, "targets": STARTS_TARGETS,
        "POST": starts(201, refused_own=403, refused_foreign=404),
        "body": {"POST": start_json},
    },
    "api.get_inspection": {"api": True, "targets": RECORDS + ASSESSMENTS, "GET": sees(200)},
    # what an open section polls for a team mate's answers: as reading the record
    "api.changes": {"api": True, "targets": RECORDS, "GET": sees(200),
                    "body": {"GET": lambda w, s, t: {"query_string": {"since": "0"}}}},
    "api.remediation": {"api": True, "targets": RECORDS, "GET": sees(200)},
    "api.put_answer": {"api": True, "targets": RECORDS, "PUT": writes(EDITS, 200),
                       "body": {"PUT": answer_json}},
    "api.add_photo": {"api": True, "targets": RECORDS, "POST": writes(EDITS, 201),
                      "body": {"POST": photo_form}},
    "api.delete_photo": {"api": True, "targets": RECORDS, "DELETE": writes(EDITS, 200)},
    "api.finalize": {
        "api": True, "targets": RECORDS, "POST": writes(FINALIZES, 200),
        "body": {"POST": lambda w, s, t: {"json": {"op_id": _op(), "allow_unanswered": True}}},
    },
    # -- assessments (DESIGN §10) and rankings (§11)
    "api.advance": {"api": True, "targets": ASSESSMENTS, "POST": assessment_rule(ADVANCES),
                    "body": {"POST": lambda w, s, t: {"json": {"op_id": _op()}}}},
    "api.put_appraisal": {
        "api": True, "targets": ASSESSMENTS, "PUT": assessment_rule(APPRAISES),
        "body": {"PUT": lambda w, s, t: {"json": {
            "op_id": _op(), "base_rev": _round_rev(s, w, t), "value": True,
            "note": "Đã thẩm định"}}},
    },
    "api.put_explanation": {
        "api": True, "targets": ASSESSMENTS, "PUT": assessment_rule(EXPLAINS),
        "body": {"PUT": lambda w, s, t: {"json": {"op_id": _op(), "base_rev": 0,
                                                   "text": "Kế hoạch đã ban hành"}}},
    },
    "rankings.index": {"GET": everyone(200), "body": {"GET": lambda w, s, t: {"query_string": {
        "checklist": CHECKLIST_ID, "period": "2025"}}}},
    # -- the dashboards: every role, each within what it may see (tests/test_dashboards.py)
    "dashboards.index": {"GET": everyone(200), "body": {"GET": lambda w, s, t: {"query_string": {
        "checklist": CHECKLIST_ID, "period": "2025"}}}},
    "dashboards.workbook": {"GET": everyone(200), "body": {"GET": lambda w, s, t: {
        "query_string": {"checklist": CHECKLIST_ID, "period": "2025"}}}},
    "api.rankings": {"api": True, "GET": everyone(200),
                     "body": {"GET": lambda w, s, t: {"query_string": {
                         "checklist": CHECKLIST_ID, "period": "2025", "kind": "assessment"}}}},
    # -- the assessment screens (web/assessments.py): each side only its own
    "assessments.appraisal": {"targets": ASSESSMENTS, "GET": page_rule(PROVINCE_ROLES, 200)},
    "assessments.save_appraisal": {
        "targets": ASSESSMENTS,
        # saved: back to the section (302); refused (no round open): the section again
        # with what was typed (400)
        "POST": lambda role, target: (
            Expect(400) if (expect := page_rule(PROVINCE_ROLES, 302, changes={
                "assess_round": PROVINCE})(role, target)).status == 302
            and target != "assess_round" else expect),
        "body": {"POST": appraisal_form},
    },
    "assessments.explanations": {"targets": ASSESSMENTS, "GET": page_rule({"unit_a", "unit_b"}, 200)},
    "assessments.save_explanation": {
        "targets": ASSESSMENTS,
        # saved: back to the page (302); refused (not the explanation stage): the page
        # again with the text as typed (400)
        "POST": lambda role, target: (
            Expect(400) if (expect := page_rule({"unit_a", "unit_b"}, 302, changes={
                "assess_explain": {"unit_a"}})(role, target)).status == 302
            and target != "assess_explain" else expect),
        "body": {"POST": lambda w, s, t: {"data": {"op_id": _op(), "base_rev": "0",
                                                    "text": "Kế hoạch đã ban hành"}}},
    },
    "assessments.explanation_photo": {
        "targets": ASSESSMENTS,
        "POST": page_rule({"unit_a", "unit_b"}, 302, changes={"assess_explain": {"unit_a"}}),
        "body": {"POST": photo_form},
    },
    "assessments.scores": {"targets": ASSESSMENTS, "GET": sees(200)},
    # -- assessment rounds over many units: opened by admins, followed by the province
    "assessments.rounds": {"GET": only({"admin", "insp", "outsider", "viewer"}, 200)},
    "assessments.round_progress": {
        # the round of A's assessments (2025): an inspector on none of their teams sees none
        "GET": lambda role, t: (Expect(403) if role in ("unit_a", "unit_b") else
                                Expect(404) if role == "outsider" else Expect(200))},
    # the survey figures of a round: admins only (the world's checklist has no survey
    # section: the admin's upload is refused, 400, and changes nothing)
    "assessments.import_survey": {
        "POST": only(ADMIN, 400),
        "body": {"POST": lambda w, s, t: {
            "data": {"file": (io.BytesIO(b"unit,ks\nA,5\n"), "khao-sat.csv")},
            "content_type": "multipart/form-data"}},
    },
    "assessments.open_round": {
        "GET": only(ADMIN, 200),
        "POST": only(ADMIN, 302, changes=True),
        "body": {"POST": lambda w, s, t: {"data": {
            "checklist": CHECKLIST_ID, "period": "2026", "units": ["A", "B"],
            "self_due": "2099-01-31", "explain_due": "2099-02-28"}}},
    },
    "assessments.advance": {
        "targets": ASSESSMENTS,
        "POST": lambda role, t: (
            Expect(403) if role == "viewer" else
            Expect(302, changes=role in ADVANCES[t] and ADVANCES[t][role] == 200)
            if role in ADVANCES[t] else Expect(403) if role in SEES[t] else Expect(404)),
        "body": {"POST": lambda w, s, t: {"data": {"op_id": _op()}}},
    },
    # -- remediation plans: pages, forms and the item API (never locked by finalizing)
    "remediation.index": {"GET": everyone(200)},
    # the daily digest: commune officers and inspectors (marking read writes their document)
    "notifications.index": {"GET": only(DIGEST_ROLES, 200)},
    "notifications.mark_read": {"POST": only(DIGEST_ROLES, 302, changes=True)},
    "remediation.plan": {"targets": RECORDS, "GET": sees(200)},
    "remediation.item": {"targets": ITEM_RECORDS, "GET": sees(200)},
    "remediation.progress": {
        "targets": ITEM_RECORDS, "POST": lambda role, t: (
            Expect(403) if role == "viewer" else allows(UPDATES_ITEMS, 302)(role, t)),
        "body": {"POST": item_progress_form},
    },
    "remediation.edit": {
        "targets": ITEM_RECORDS, "POST": lambda role, t: (
            Expect(403) if role == "viewer" else allows(PLANS, 302)(role, t)),
        "body": {"POST": item_columns_form},
    },
    "remediation.review": {"targets": ITEM_RECORDS, "POST": review_rule,
                           "body": {"POST": item_review_form}},
    "remediation.add": {
        "targets": RECORDS, "POST": lambda role, t: (
            Expect(403) if role == "viewer" else allows(PLANS, 302)(role, t)),
        "body": {"POST": lambda w, s, t: {"data": {"op_id": _op(),
                                                    "finding": "Vệ sinh công sở chưa sạch"}}},
    },
    "api.add_item": {
        "api": True, "targets": RECORDS, "POST": allows(PLANS, 201),
        "body": {"POST": lambda w, s, t: {"json": {"op_id": _op(),
                                                    "finding": "Vệ sinh công sở chưa sạch"}}},
    },
    "api.get_item": {"api": True, "targets": ITEM_RECORDS, "GET": sees(200)},
    "api.update_item": {"api": True, "targets": ITEM_RECORDS, "PATCH": allows(UPDATES_ITEMS, 200),
                        "body": {"PATCH": item_patch_json}},
    "api.item_photo": {"api": True, "targets": ITEM_RECORDS, "POST": allows(UPDATES_ITEMS, 201),
                       "body": {"POST": photo_form}},
}

#: Cases where the app does not (yet) do what the spec says; each is a strict xfail
#: so that a fix shows up. Keys: (endpoint, method, role, target).
KNOWN_BUGS: dict[tuple[str, str, str, str | None], str] = {}
#: Those of KNOWN_BUGS that also change stored data (the others only answer another status).
CHANGING_BUGS: set[tuple[str, str, str, str | None]] = set()


# ---------------------------------------------------------------- filling URLs

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _app_rules():
    """(endpoint, methods, arguments) of every rule of a freshly built app."""
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"TESTING": True, "DATA_DIR": tmp, "SECRET_KEY": "x"})
        rules = [(r.endpoint, sorted(set(r.methods) & set(METHODS)), sorted(r.arguments))
                 for r in app.url_map.iter_rules()]
    from inspect_app import storage
    storage._stores.pop(Path(tmp).resolve(), None)
    return rules


APP_RULES = _app_rules()


def _cases():
    cases = []
    for endpoint, methods, _args in APP_RULES:
        entry = MATRIX.get(endpoint)
        if entry is None:
            continue  # reported by test_every_route_is_in_the_matrix
        for method in methods:
            if method not in entry:
                continue  # reported by test_every_route_is_in_the_matrix
            for target in entry.get("targets", (None,)):
                for role in ALL_ROLES:
                    key = (endpoint, method, role, target)
                    marks = ([pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[key],
                                                raises=None if key in CHANGING_BUGS
                                                else StatusMismatch)]
                             if key in KNOWN_BUGS else [])
                    cases.append(pytest.param(*key, marks=marks,
                                              id=f"{endpoint}-{method}-{role}-{target}"))
    return cases


def test_every_route_is_in_the_matrix():
    """A new route must get a dict in MATRIX (and a filler for new URL parameters)."""
    missing = []
    for endpoint, methods, args in APP_RULES:
        entry = MATRIX.get(endpoint)
        if entry is None:
            missing.append(f"{endpoint}: no entry")
            continue
        missing += [f"{endpoint}: no rule for {m}" for m in methods if m not in entry]
        missing += [f"{endpoint}: no filler for URL parameter <{a}>" for a in args
                    if a not in PARAM_FILLERS]
    assert not missing, "add these to MATRIX in tests/test_access_matrix.py:\n" + "\n".join(missing)


def test_spec_hides_each_unit_from_the_other():
    """The tables themselves: a unit user gets 404 for every record of the other unit
    (or the 403 its own unit's user gets too, for a page that is not for unit users)."""
    for endpoint, entry in MATRIX.items():
        for method in METHODS:
            if method not in entry:
                continue
            for target in entry.get("targets", ()):
                unit = UNIT_OF.get(target) or target.split("@")[1]
                own, foreign = f"unit_{unit.lower()}", "unit_b" if unit == "A" else "unit_a"
                if "@" in target:
                    continue  # starting a record is not a record
                expected = entry[method](foreign, target)
                if expected.status == 403 and entry[method](own, target).status == 403:
                    continue  # a page for other roles: nothing about the target is told
                assert expected.status == 404, (endpoint, method, foreign, target)


# ---------------------------------------------------------------- running a case

def _fingerprint(data_dir: Path) -> dict[str, tuple[int, int, int]]:
    """Identity of every stored file (throttling counters and lock files left out). The
    store replaces a file whole on every write, so any write changes its inode."""
    out = {}
    pending = [str(data_dir / "store")]
    while pending:  # os.scandir: one stat per file, no Path objects (2.000 cases call this)
        with os.scandir(pending.pop()) as entries:
            for entry in entries:
                if entry.name == "logins" or entry.name.endswith(".lock"):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
                else:
                    stat = entry.stat(follow_symlinks=False)
                    out[entry.path] = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
    return out


class Env:
    """The world, one app on it, and a pristine copy of its data to restore after writes."""

    def __init__(self, root: Path):
        self.world = build_world(root / "world")
        self.app = self.world.app()
        self.store = self.app.extensions["store"]
        self.pristine = root / "pristine"
        shutil.copytree(self.world.data_dir / "store", self.pristine,
                        ignore=shutil.ignore_patterns("*.lock"))
        self.clean = _fingerprint(self.world.data_dir)

    def restore(self) -> None:
        """Put the stored records back as they were (new files, so no cache sees old ones)."""
        live = self.world.data_dir / "store"
        for path in list(live.rglob("*")):
            if path.is_file() and path.suffix != ".lock":
                path.unlink()
        for path in self.pristine.rglob("*"):
            if path.is_file():
                target = live / path.relative_to(self.pristine)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
        self.clean = _fingerprint(self.world.data_dir)

    def request(self, endpoint: str, method: str, role: str, target: str | None):
        entry = MATRIX[endpoint]
        url = url_for_target(self.app, self.world, endpoint, target)
        client, csrf_token = login_client(self.app, self.world, None if role == ANON else role)
        kwargs: dict = {}
        builder = entry.get("body", {}).get(method)
        if builder is not None:
            with self.app.test_request_context():
                kwargs = builder(self.world, self.store, target)
        headers = {}
        if entry.get("api"):
            if role != ANON:
                headers["Authorization"] = f"Bearer {self.world.tokens[role]}"
        elif method != "GET":
            if "json" in kwargs:
                headers["X-CSRFToken"] = csrf_token
            else:
                kwargs.setdefault("data", {})["csrf_token"] = csrf_token
        return client.open(url, method=method, headers=headers, **kwargs)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    return Env(tmp_path_factory.mktemp("matrix"))


class StatusMismatch(AssertionError):
    """The answer's status is not the spec's (what KNOWN_BUGS expect to see)."""


def test_the_fingerprint_sees_a_replaced_file_and_ignores_locks(env):
    store = env.world.data_dir / "store"
    victim = next(p for p in store.rglob("*.json") if "logins" not in p.parts)
    (victim.parent / "x.lock").write_text("")  # a lock file is not stored data
    assert _fingerprint(env.world.data_dir) == env.clean
    replacement = victim.with_suffix(".tmp")
    replacement.write_bytes(victim.read_bytes())  # same bytes, as the store writes: a new file
    os.replace(replacement, victim)
    assert _fingerprint(env.world.data_dir) != env.clean
    (victim.parent / "x.lock").unlink()
    env.restore()


@pytest.mark.parametrize("endpoint, method, role, target", _cases())
def test_route_access(env, endpoint, method, role, target):
    entry = MATRIX[endpoint]
    if role == ANON and not entry.get("public"):
        expected = API_401 if entry.get("api") else LOGIN
    else:
        expected = entry[method](role, target)
    where = f"{method} {endpoint} as {role} on {target}"
    changed = True  # until known otherwise: restore if the request itself fails
    try:
        response = env.request(endpoint, method, role, target)
        changed = _fingerprint(env.world.data_dir) != env.clean
        # A refused request that changed data is worse than a wrong status: checked first,
        # and not covered by the strict xfails of KNOWN_BUGS (which expect StatusMismatch).
        if not expected.changes:
            assert not changed, f"{where} changed stored data ({response.status_code})"
        if response.status_code != expected.status:
            raise StatusMismatch(f"{where}: {response.status_code}, expected {expected.status}\n"
                                 f"{response.get_data(as_text=True)[:300]}")
        if expected.changes:
            assert changed, f"{where} changed nothing"
        if expected.location:
            assert response.headers["Location"].startswith(expected.location)
        if entry.get("api") and response.status_code >= 400:
            assert response.is_json and "error" in response.json
    finally:
        if changed:
            env.restore()


# ---------------------------------------------------------------- what lists and files show

LIST_PAGES = ["/", "/inspections/", "/inspections/?unit=A", "/inspections/?unit=B",
              "/units/", "/units/A", "/units/B", "/remediation/",
              f"/dashboards/?checklist={CHECKLIST_ID}&period=2025",
              f"/dashboards/?checklist={CHECKLIST_ID}&period=2025&kind=self_check"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", LIST_PAGES)
def test_lists_show_only_visible_records(env, role, path):
    """Every page that lists records links exactly to records the user may see (never to
    one of another unit, whatever the filter in the query string says)."""
    client, _ = login_client(env.app, env.world, role)
    response = client.get(path)
    if response.status_code in (403, 404):
        return  # the page itself is not for this user (see the matrix)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for record, record_id in env.world.records.items():
        if role not in SEES[record]:
            assert record_id not in html, f"{path} as {role} shows {record}"


def test_unit_list_of_an_inspector_shows_only_inspected_units(env):
    client, _ = login_client(env.app, env.world, "insp")
    html = client.get("/units/").get_data(as_text=True)
    assert "/units/A" in html and "/units/B" not in html


def test_a_photo_is_served_only_with_its_own_record(env):
    """Photo ids are bound to their record: a visible record's URL with another record's
    photo id is a 404, even for an admin."""
    client, _ = login_client(env.app, env.world, "admin")
    world = env.world
    own = client.get(f"/inspections/{world.records['insp_draft']}/photos/{world.photos['insp_draft']}")
    assert own.status_code == 200 and own.mimetype == "image/jpeg"
    assert "private" in own.headers["Cache-Control"]  # never kept by a shared cache
    for other in ("self_a", "self_b", "insp_final"):
        response = client.get(f"/inspections/{world.records['insp_draft']}/photos/"
                              f"{world.photos[other]}")
        assert response.status_code == 404


def test_an_inspectors_export_leaves_out_units_they_do_not_inspect(env):
    """The workbook of an inspector (no unit filter, drafts included) has unit A's records
    and nothing of unit B."""
    if "exports.workbook" not in {e for e, _m, _a in APP_RULES}:
        pytest.skip("exports are not registered")
    import zipfile

    client, _ = login_client(env.app, env.world, "insp")
    response = client.get("/exports/workbook.xlsx", query_string={
        "include_drafts": "y", "lang": "vi", "checklist": "", "kind": ""})
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.data)) as book:
        text = " ".join(book.read(n).decode("utf-8", "replace") for n in book.namelist()
                        if n.endswith(".xml"))
    assert "Thiện Nghiệp" in text
    assert "Đồng Văn" not in text
    for record in ("self_b", "self_b_final"):
        assert env.world.records[record] not in text


@pytest.mark.parametrize("role", ROLES)
def test_every_menu_link_opens_for_its_role(env, role):
    """The main menu offers each role only pages it may open."""
    import re

    client, _ = login_client(env.app, env.world, role)
    html = client.get("/").get_data(as_text=True)
    nav = re.search(r'<nav aria-label="[^"]*">(.*?)</nav>', html, re.S).group(1)
    links = re.findall(r'<a href="([^"]+)"', nav)
    assert links
    for link in links:
        assert client.get(link).status_code == 200, f"{role}: {link}"
