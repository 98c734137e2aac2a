"""Helpers shared by the test modules (fixtures live in conftest.py): logging in through
the real form, reading what a form would submit, one user's API client, a small world of
people and records built through the services, and checks of a data folder."""
from __future__ import annotations

import io
import json
import re
import uuid
from html.parser import HTMLParser
from pathlib import Path

from PIL import Image

from inspect_app.services import accounts, commands
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service
from inspect_app.storage.tinydb_store import TinyDBStore

PASSWORD = "mat-khau-dai"


def op() -> str:
    return str(uuid.uuid4())


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 120, 60)).save(out, "JPEG")
    return out.getvalue()


class FormReader(HTMLParser):
    """Collects what a browser would submit from one form (by id)."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id, self.inside, self.fields, self._textarea = form_id, False, [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside or "disabled" in a:
            return
        if tag == "input" and a.get("name") and a.get("type") not in ("file", "submit"):
            if a.get("type") in ("radio", "checkbox") and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value", "")))
        elif tag == "textarea" and a.get("name"):
            self._textarea = [a["name"], ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea is not None:
            self.fields.append(tuple(self._textarea))
            self._textarea = None
        if tag == "form":
            self.inside = False


def form_fields(html: str, form_id: str = "section-form") -> dict[str, str]:
    reader = FormReader(form_id)
    reader.feed(html)
    return dict(reader.fields)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def post_login(client, username, password=PASSWORD):
    """Submit the real login form (with its CSRF token); the response, whatever it is."""
    page = client.get("/login").get_data(as_text=True)
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_of(page)})


def logged_in(app, username, password=PASSWORD):
    """A new client of ``app`` logged in as ``username`` through the login form."""
    client = app.test_client()
    response = post_login(client, username, password)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def post_page(client, path, data, page=None):
    """Submit a form of ``page`` (default: ``path``) with that page's CSRF token."""
    token = csrf_of(client.get(page or path).get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token})


def page_text(response) -> str:
    """A response's HTML with its entities read (what a person sees, tags and all)."""
    import html

    return html.unescape(response.get_data(as_text=True))


def login(client, username, password=PASSWORD):
    """Log ``client`` in as ``username`` through the login form; returns the client."""
    response = post_login(client, username, password)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


class Api:
    """One user's Bearer-token client for the JSON API."""

    def __init__(self, client, token):
        self.client, self.token = client, token

    def _h(self):
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def get(self, path):
        return self.client.get(f"/api/v1{path}", headers=self._h())

    def post(self, path, body):
        return self.client.post(f"/api/v1{path}", json=body, headers=self._h())

    def patch(self, item, base_rev=None, op_id=None, **change):
        body = {"op_id": op_id or op(), **change}
        if base_rev is not None:
            body["base_rev"] = base_rev
        return self.client.patch(f"/api/v1/remediation/{item}", json=body, headers=self._h())

    def photo(self, item, op_id=None, note=""):
        return self.client.post(f"/api/v1/remediation/{item}/photos", headers=self._h(),
                                data={"op_id": op_id or op(), "note": note,
                                      "photo": (io.BytesIO(jpeg()), "anh.jpg")},
                                content_type="multipart/form-data")


PEOPLE = {"admin": ("admin", None), "lead": ("inspector", None), "mate": ("inspector", None),
          "watcher": ("inspector", None),  # leads another inspection of NT: inspects the unit
          "outsider": ("inspector", None), "viewer": ("viewer", None),
          "ua": ("unit", "NT"), "ub": ("unit", "TN")}


class World:
    def __init__(self, app, client):
        self.app, self.client = app, client
        self.store = app.extensions["store"]
        self.library = app.extensions["checklists"]
        unit_service.add_unit(self.store, "NT", "Xã Nông Thượng")
        unit_service.add_unit(self.store, "TN", "Xã Thiện Nghiệp")
        self.api = {}
        for name, (role, unit) in PEOPLE.items():
            accounts.create_user(self.store, name, role, unit=unit, password=PASSWORD,
                                 full_name=name.title())
            self.api[name] = Api(client, accounts.issue_token(self.store, name))
        self.api["anon"] = Api(client, None)
        self.start("watcher", "NT")  # so that "watcher" inspects NT without being on the team

    def scope(self, name):
        return service.scope_for(self.store, self.store.get_user(name))

    def start(self, by, unit, checklist="cchc-xa", kind="inspection", team=(), period="2025"):
        return service.start(self.store, self.library, self.scope(by), commands.StartRequest(
            unit=unit, checklist=checklist, period=period, kind=kind, team=list(team),
            another=kind == "inspection")).id

    def answer(self, by, record, criterion, **content):
        current = self.store.get_inspection(record).answers.get(criterion)
        service.save_answer(self.store, self.scope(by), record, commands.answer_op(
            criterion, {"op_id": op(), "base_rev": current.rev if current else 0, **content}))

    def finalize(self, by, record, allow_unanswered=True):
        return service.finalize(self.store, self.scope(by), record,
                                commands.finalize_op({"op_id": op(), "allow_unanswered": allow_unanswered}))

    def record(self, record_id):
        return self.store.get_inspection(record_id)

    def item(self, item_id):
        return self.record(item_id.rsplit("-", 1)[0]).item(item_id)


def data_files(root: Path) -> dict[str, bytes]:
    """Every file of a data folder but lock files (taking a lock is not a write of data)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*")
            if p.is_file() and not p.name.endswith(".lock")}


def check_store_is_whole(data_dir: Path) -> TinyDBStore:
    """Every data file parses, nothing but data files is taken for data, and the index
    lists exactly the inspection files. Returns a freshly opened store."""
    for path in data_dir.rglob("*.json"):
        assert not path.name.startswith("."), f"temporary file named like data: {path}"
        json.loads(path.read_bytes())  # no half-written file
    store = TinyDBStore(data_dir)  # replays any index update a kill interrupted
    files = {p.stem for p in (store.root / "inspections").glob("*/*.json")}
    listed = [s.id for s in store.list_inspections()]
    assert sorted(listed) == sorted(files)
    assert all(store.get_inspection(i) is not None for i in listed)
    assert not list((store.root / "index-pending").glob("*.json"))
    return store


def meeting_after(read, parties: int = 2, timeout: float = 1.0):
    """``read`` that, having read, waits for the other ``parties - 1`` callers to have read
    too (at most ``timeout`` s): two requests' checks made at one moment, before either
    writes. Where the check and the write go one at a time, the meeting times out."""
    import threading

    meeting = threading.Barrier(parties)

    def read_then_meet(*args, **kwargs):
        found = read(*args, **kwargs)
        try:
            meeting.wait(timeout=timeout)
        except threading.BrokenBarrierError:
            pass
        return found
    return read_then_meet
