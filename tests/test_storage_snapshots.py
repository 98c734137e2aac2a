"""Checklist snapshots are stored once by content hash, not inside every inspection file."""
from __future__ import annotations

import json

from inspect_app.domain.models import Inspection
from inspect_app.services.inspections import snapshot_of
from inspect_app.storage import TinyDBStore
from inspect_app.storage.checklist_files import load_file


def inspection(store_id: str, checklist) -> Inspection:
    return Inspection(id=store_id, unit="TN", checklist=snapshot_of(checklist), period="2025",
                      kind="inspection", created_at="2025-04-07T08:00:00+00:00")


def test_the_checklist_content_lives_once_beside_the_inspections(tmp_path):
    checklist = load_file("checklists/cchc-xa.yaml")
    store = TinyDBStore(tmp_path)
    store.add_inspection(inspection("abc1", checklist))
    store.add_inspection(inspection("abc2", checklist))
    store.update_inspection("abc1", lambda i: setattr(i, "place", "Thiện Nghiệp"))
    snapshots = list((tmp_path / "store" / "checklists").iterdir())
    assert [p.name for p in snapshots] == [f"{checklist.hash}.json"]
    assert json.loads(snapshots[0].read_text("utf-8")) == checklist.data
    for iid in ("abc1", "abc2"):
        raw = (tmp_path / "store" / "inspections" / "ab" / f"{iid}.json").read_text("utf-8")
        assert "Ban hành kế hoạch" not in raw and checklist.hash in raw
        loaded = TinyDBStore(tmp_path).get_inspection(iid)  # a fresh process view
        assert loaded.checklist["data"] == checklist.data
        assert loaded.checklist["hash"] == checklist.hash


def test_records_with_inline_content_still_load(tmp_path):
    checklist = load_file("checklists/cchc-xa.yaml")
    store = TinyDBStore(tmp_path)
    store.add_inspection(inspection("old1", checklist))
    path = tmp_path / "store" / "inspections" / "ol" / "old1.json"
    data = json.loads(path.read_text("utf-8"))
    doc = data["inspection"]["1"]
    doc["checklist"] = {**{k: v for k, v in doc["checklist"].items() if k != "data_file"},
                        "data": checklist.data}  # as layout 1 wrote it
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    assert TinyDBStore(tmp_path).get_inspection("old1").checklist["data"] == checklist.data
    # the next write moves the content out
    store.update_inspection("old1", lambda i: setattr(i, "place", "x"))
    assert "Ban hành kế hoạch" not in path.read_text("utf-8")
