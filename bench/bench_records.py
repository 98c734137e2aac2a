"""Lean records: the on-disk size of a busy inspection and the cost of a save on it.

    .venv/bin/python -m bench.bench_records [--saves 300] [--rounds 400]

A temporary TinyDB store gets two inspections of the shipped ``cchc-xa`` checklist
(59 criteria): a *fresh* one, with nothing but its answers (every criterion the demo
data answers, saved once), and a *busy* one with the same answers and ``--saves`` saves
behind it (the note of a criterion changed on each save, as a team does over a day).
Then, in-process (``services.inspections.save_answer`` on the real store, fsync and
atomic replace included), ``--rounds`` more saves are timed alternately on the fresh
and on the busy record — interleaved, so that a change in the machine's speed hits
both alike; after each timed save the record file is put back as it was (untimed), so
every save meets the same record. Printed: the file size of each record, p50/p95 of a save on each, and the
ratio busy : fresh (goal ≤ 1.2) and the busy record's size (goal < 20 KB).
"""
from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inspect_app import create_app  # noqa: E402
from inspect_app.services import accounts, commands, demo  # noqa: E402
from inspect_app.services import inspections as service  # noqa: E402
from inspect_app.services import units as unit_service  # noqa: E402
from inspect_app.storage.files import write_atomic  # noqa: E402


def percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[94]


class Record:
    """One inspection and the revisions its client last saw."""

    def __init__(self, store, scope, record_id: str, answers: dict[str, dict]):
        self.store, self.scope, self.id, self.answers = store, scope, record_id, answers
        self.ids = list(answers)
        self.revs: dict[str, int] = {}
        self.saves = 0
        self.path = store._inspection_path(record_id)
        self.kept: tuple[bytes, dict[str, int]] | None = None

    def keep(self) -> None:
        """Remember the record as it is now; :meth:`restore` puts it back."""
        self.kept = (self.path.read_bytes(), dict(self.revs))

    def restore(self) -> None:
        data, revs = self.kept
        write_atomic(self.path, data, durable=False)
        self.revs = dict(revs)

    def save(self) -> float:
        cid = self.ids[self.saves % len(self.ids)]
        body = {"op_id": str(uuid.uuid4()), "base_rev": self.revs.get(cid, 0),
                **self.answers[cid], "note": f"Đã kiểm tra hồ sơ, lần {self.saves}"}
        start = time.perf_counter()
        result = service.save_answer(self.store, self.scope, self.id, commands.answer_op(cid, body))
        elapsed = (time.perf_counter() - start) * 1000
        self.revs[cid] = result.rev
        self.saves += 1
        return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--saves", type=int, default=300, help="saves behind the busy record")
    parser.add_argument("--rounds", type=int, default=400, help="timed saves on each record")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-records-"))
    try:
        accounts.PASSWORD_METHOD = "scrypt:1024:8:1"  # setup speed only; not measured
        app = create_app({"DATA_DIR": str(folder), "SECRET_KEY": "bench"})
        store, library = app.extensions["store"], app.extensions["checklists"]
        unit_service.add_unit(store, "X1", "Xã số 1")
        user = accounts.create_user(store, "thanhtra", "inspector", password="bench-password")
        scope = service.scope_for(store, user)
        records = []
        for _ in range(2):
            inspection = service.start(store, library, scope, commands.StartRequest(
                unit="X1", checklist="cchc-xa", period="2025", kind="inspection"))
            checklist = service.checklist_of(inspection)
            answers = demo._answers(checklist, "X1", random.Random(1), 1.0)
            records.append(Record(store, scope, inspection.id, answers))
        fresh, busy = records
        for _ in range(len(fresh.ids)):  # both: every answer once
            fresh.save()
        for _ in range(max(args.saves, len(busy.ids))):
            busy.save()
        sizes = {name: store._inspection_path(r.id).stat().st_size
                 for name, r in (("fresh", fresh), ("busy", busy))}
        for record in records:
            record.keep()
        samples: dict[str, list[float]] = {"fresh": [], "busy": []}
        for k in range(args.rounds + 20):  # the first 20 rounds warm up
            order = (("fresh", fresh), ("busy", busy)) if k % 2 else (("busy", busy), ("fresh", fresh))
            for name, record in order:
                elapsed = record.save()
                record.restore()  # untimed: each timed save starts from the same record
                if k >= 20:
                    samples[name].append(elapsed)
        figures = {name: percentiles(s) for name, s in samples.items()}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    criteria = len(checklist.criteria)
    print(f"\nlean records: cchc-xa ({criteria} criteria), {len(busy.ids)} answers")
    print(f"  fresh record (each answer saved once): {sizes['fresh']:>7,} bytes on disk")
    print(f"  busy record ({max(args.saves, len(busy.ids))} saves behind it): "
          f"{sizes['busy']:>7,} bytes on disk (goal < 20,000)")
    print(f"\nsave_answer in-process, {args.rounds} interleaved saves on each")
    print(f"{'record':>10} {'p50 ms':>8} {'p95 ms':>8}")
    for name, (p50, p95) in figures.items():
        print(f"{name:>10} {p50:>8.2f} {p95:>8.2f}")
    print(f"ratio busy : fresh = p50 {figures['busy'][0] / figures['fresh'][0]:.2f}, "
          f"p95 {figures['busy'][1] / figures['fresh'][1]:.2f} (goal ≤ 1.2)")


if __name__ == "__main__":
    main()
