"""A small world for access and security tests: two units, a user of every role, and
records of both units (draft and finalized inspections, self-checks, photos, items).

Building it costs about a second (password hashing), so tests build it once per
module and copy its data folder when they need a private one. Sessions are made
without going through the login form: the session cookie of Flask-Login holds the
user id (``username:hash tail``, see ``web/auth.py``), the CSRF token is made with
Flask-WTF's own ``generate_csrf``.
"""
from __future__ import annotations

import io
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, session
from flask_wtf.csrf import generate_csrf

from inspect_app import create_app
from inspect_app.domain.access import Scope
from inspect_app.services import accounts, assessments, commands, photos
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service

PASSWORD = "mat-khau-dai-2025"
SECRET = "access-world-secret"
CHECKLIST_ID = "t-any"

CHECKLIST_YAML = """\
format: 1
id: t-any
version: "1"
title: Danh mục thử
kind: any
sections:
  - id: s1
    title: Phần một
    criteria:
      - {id: c1, text: Có kế hoạch, type: yesno, points: 1, remedy: Ban hành kế hoạch,
         remedy_days: 30}
      - {id: c2, text: Chấm điểm, type: score, points: 2}
  - id: s2
    title: Phần hai
    criteria:
      - {id: c3, text: Niêm yết, type: yesno, points: 1}
"""

#: role key -> (role, unit). The key is also the username.
PEOPLE = {
    "admin": ("admin", None),
    "insp": ("inspector", None),      # lead of the team of A's inspections
    "outsider": ("inspector", None),  # an inspector on no team
    "viewer": ("viewer", None),
    "unit_a": ("unit", "A"),
    "unit_b": ("unit", "B"),
}
ROLES = tuple(PEOPLE)
UNITS = {"A": "Xã Thiện Nghiệp", "B": "Xã Đồng Văn"}


def png_bytes(color=(200, 30, 30), size=(40, 30)) -> bytes:
    """A small valid PNG."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


@dataclass
class World:
    """What a test needs to address the records: ids by name, tokens by role."""

    root: Path
    data_dir: Path
    checklists_dir: Path
    records: dict[str, str] = field(default_factory=dict)  # name -> inspection id
    units: dict[str, str] = field(default_factory=dict)  # record name -> unit code
    photos: dict[str, str] = field(default_factory=dict)  # record name -> photo id
    items: dict[str, str] = field(default_factory=dict)  # record name -> remediation item id
    tokens: dict[str, str] = field(default_factory=dict)  # role key -> API token
    user_ids: dict[str, str] = field(default_factory=dict)  # role key -> Flask-Login user id
    jobs: dict[str, str] = field(default_factory=dict)  # "job@<role>" -> finished export job id

    def config(self, data_dir: Path | None = None) -> dict:
        return {"TESTING": True, "SECRET_KEY": SECRET,
                "DATA_DIR": str(data_dir or self.data_dir),
                "CHECKLISTS_DIR": str(self.checklists_dir),
                # a token's "last used" is a write: none here, so that every refused
                # request provably leaves the stored data as it was
                "TOKEN_USE_MINUTES": 0}

    def app(self, data_dir: Path | None = None) -> Flask:
        """An app on the world's data folder (or on ``data_dir``, a copy of it)."""
        return create_app(self.config(data_dir))

    def copy_data(self, target: Path) -> Path:
        """A private copy of the data folder (for tests that write)."""
        shutil.copytree(self.data_dir, target, ignore=shutil.ignore_patterns("*.lock"))
        return target


def _scope(store, username: str) -> Scope:
    return service.scope_for(store, store.get_user(username))


def _answer(store, scope, record_id, criterion, **content) -> None:
    inspection = store.get_inspection(record_id)
    base = inspection.answers[criterion].rev if criterion in inspection.answers else 0
    service.save_answer(store, scope, record_id, commands.answer_op(
        criterion, {"op_id": str(uuid.uuid4()), "base_rev": base, **content}))


def build_world(root: Path) -> World:
    """Units A and B, a user of every role, and these records:

    * ``insp_draft`` — an inspection of A, draft, team: ``insp`` (lead); a photo on c1;
    * ``insp_final`` — an inspection of A, finalized by ``insp``: remediation items, a photo;
    * ``self_a`` — a self-check of A by ``unit_a``, draft, a photo;
    * ``self_b`` — a self-check of B by ``unit_b``, draft, a photo;
    * ``self_b_final`` — a self-check of B, finalized: remediation items, a photo.
    """
    checklists_dir = root / "checklists"
    checklists_dir.mkdir(parents=True)
    (checklists_dir / f"{CHECKLIST_ID}.yaml").write_text(CHECKLIST_YAML, encoding="utf-8")
    world = World(root=root, data_dir=root / "data", checklists_dir=checklists_dir)
    app = world.app()
    store = app.extensions["store"]
    library = app.extensions["checklists"]
    for code, name in UNITS.items():
        unit_service.add_unit(store, code, name)
    for key, (role, unit) in PEOPLE.items():
        user = accounts.create_user(store, key, role, unit=unit, password=PASSWORD)
        world.tokens[key] = accounts.issue_token(store, key, "tests")
        world.user_ids[key] = f"{user.username}:{user.password_hash[-12:]}"

    def start(name, by, unit, kind, final=False):
        scope = _scope(store, by)
        record = service.start(store, library, scope, commands.StartRequest(
            unit=unit, checklist=CHECKLIST_ID, period="2025", kind=kind))
        world.records[name], world.units[name] = record.id, unit
        _answer(store, scope, record.id, "c1", value=False, note="Chưa ban hành")
        result = photos.attach_to_answer(store, scope, record.id, "c1", png_bytes(),
                                         str(uuid.uuid4()))
        world.photos[name] = result.photo_id
        if final:
            service.finalize(store, _scope(store, by), record.id,
                             commands.finalize_op({"op_id": str(uuid.uuid4()), "allow_unanswered": True}))
            world.items[name] = store.get_inspection(record.id).items[0].id

    # Finalized ones first: a draft of the same unit, checklist and period blocks a second.
    start("insp_final", "insp", "A", "inspection", final=True)
    start("insp_draft", "insp", "A", "inspection")
    start("self_a", "unit_a", "A", "self_check")
    start("self_b_final", "unit_b", "B", "self_check", final=True)
    start("self_b", "unit_b", "B", "self_check")
    # Assessments of A by the province (insp leads them), in three stages (DESIGN §10).
    unit_a = _scope(store, "unit_a")

    def assessment(name, stage):
        record = service.start(store, library, _scope(store, "insp"), commands.StartRequest(
            unit="A", checklist=CHECKLIST_ID, period="2025", kind="assessment", another=True))
        world.records[name], world.units[name] = record.id, "A"
        _answer(store, unit_a, record.id, "c1", value=True, note="KH số 01/KH-UBND")
        if stage == "self":
            return
        _answer(store, unit_a, record.id, "c2", value=2, note="Báo cáo số 3")
        _answer(store, unit_a, record.id, "c3", value=True, note="Ảnh niêm yết")
        assessments.advance(store, unit_a, record.id, commands.AdvanceOp(str(uuid.uuid4())))
        if stage == "appraisal1":
            return
        assessments.save_appraisal(store, _scope(store, "insp"), record.id, commands.appraisal_op(
            "c1", {"op_id": str(uuid.uuid4()), "base_rev": 1, "value": False, "explain": True,
                   "note": "Chưa thấy kế hoạch"}))
        assessments.advance(store, _scope(store, "insp"), record.id,
                            commands.AdvanceOp(str(uuid.uuid4())))

    assessment("assess_self", "self")
    assessment("assess_round", "appraisal1")
    assessment("assess_explain", "explanation")
    # A finished background export of the administrator and of the inspector.
    from inspect_app.exports.workbook import Filters
    from inspect_app.services import export_jobs
    from inspect_app.storage.jobs import ExportJobs

    for key in ("admin", "insp"):
        job = export_jobs.start(ExportJobs(world.data_dir), store, _scope(store, key), Filters(),
                                locale="vi", background=False)
        world.jobs[f"job@{key}"] = job["id"]
    return world


#: Unit code of each record and unit target.
UNIT_OF = {"insp_draft": "A", "insp_final": "A", "self_a": "A", "self_b": "B",
           "self_b_final": "B", "unit:A": "A", "unit:B": "B",
           "assess_self": "A", "assess_round": "A", "assess_explain": "A"}

#: How to fill each URL parameter of a route for a target (a record or "unit:CODE").
PARAM_FILLERS = {
    "inspection_id": lambda w, t: w.records[t],
    "photo_id": lambda w, t: w.photos[t],
    "item_id": lambda w, t: w.items[t],
    "item": lambda w, t: w.items[t],
    "criterion_id": lambda w, t: "c1",
    "section_id": lambda w, t: "s1",
    "code": lambda w, t: UNIT_OF[t],
    "checklist_id": lambda w, t: CHECKLIST_ID,
    "period": lambda w, t: "2025",
    "filename": lambda w, t: "app.css",
    "job_id": lambda w, t: w.jobs[t],
    "token": lambda w, t: "no-such-draft-0123456789",
    # the user pages are tried on the viewer's account and its API token
    "username": lambda w, t: "viewer",
    "token_id": lambda w, t: accounts.hash_token(w.tokens["viewer"])[:accounts.TOKEN_ID_LENGTH],
}


def url_for_target(app: Flask, world: World, endpoint: str, target: str | None) -> str:
    """The URL of ``endpoint`` with its parameters filled for ``target``."""
    from flask import url_for

    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    values = {a: PARAM_FILLERS[a](world, target) for a in rule.arguments}
    with app.test_request_context():
        return url_for(endpoint, **values)


def login_client(app: Flask, world: World, role: str | None, lang: str | None = None):
    """A test client logged in as ``role`` (anonymous for None) and its CSRF token."""
    client = app.test_client()
    with app.test_request_context():
        token = generate_csrf()
        raw = session["csrf_token"]
    with client.session_transaction() as sess:
        sess["csrf_token"] = raw
        if lang:
            sess["lang"] = lang
        if role is not None:
            sess["_user_id"] = world.user_ids[role]
            sess["_fresh"] = True
    return client, token
