"""Two users starting the same self-check at one moment (two phones of one commune, on
two server processes) get one draft: the check for an open draft and the new record's
write happen one start at a time (``Store.exclusive``), on every store."""
from __future__ import annotations

import threading

import pytest

from inspect_app.services import Conflict, accounts, commands
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service
from inspect_app.storage.memory import MemoryStore
from inspect_app.storage.tinydb_store import TinyDBStore

from .support import meeting_after


@pytest.fixture(params=["tinydb", "memory", "postgres"])
def store(request, tmp_path):
    if request.param == "tinydb":
        return TinyDBStore(tmp_path / "data")
    if request.param == "postgres":
        return request.getfixturevalue("pg_store")
    return MemoryStore(tmp_path / "photos")


def test_two_users_starting_the_same_self_check_at_once_get_one_draft(store, app, monkeypatch):
    library = app.extensions["checklists"]
    unit_service.add_unit(store, "NT", "Xã Nông Thượng")
    for name in ("ua", "ub"):
        accounts.create_user(store, name, "unit", unit="NT", password="mat-khau-dai")
    # Both starts look for an open draft, then meet here before either writes: without
    # one start at a time, both find none. With it, the second waits for the first's
    # write and the meeting times out.
    monkeypatch.setattr(service, "open_drafts", meeting_after(service.open_drafts))
    outcomes: dict[str, object] = {}

    def start(name: str) -> None:
        scope = service.scope_for(store, store.get_user(name))
        try:
            outcomes[name] = service.start(store, library, scope, commands.StartRequest(
                unit="NT", checklist="cchc-xa", period="2025", kind="self_check")).id
        except Conflict as conflict:
            outcomes[name] = conflict

    threads = [threading.Thread(target=start, args=(name,)) for name in ("ua", "ub")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    drafts = [s for s in store.list_inspections(unit="NT") if s.status == "draft"]
    assert len(drafts) == 1, "two self-check drafts of one period"
    started = [o for o in outcomes.values() if isinstance(o, str)]
    refused = [o for o in outcomes.values() if isinstance(o, Conflict)]
    assert started == [drafts[0].id]
    assert len(refused) == 1 and refused[0].details["existing"] == drafts[0].id
