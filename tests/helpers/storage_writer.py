"""A writer process for tests/test_storage_crash.py.

    python tests/helpers/storage_writer.py DATA_DIR INSPECTION_ID PREFIX COUNT CREATE_EVERY

Adds answers ``<PREFIX>-<n>`` to one inspection, one ``update_inspection`` each, and
every ``CREATE_EVERY`` answers also adds a new inspection. After each call returns
it prints one line — ``A <inspection id> <rev> <answer key>`` or ``C <new id>`` —
so the test knows exactly which writes were acknowledged. COUNT 0 means forever
(until the test kills the process). With ``INSPECT_WRITER_DATABASE_URL`` set it writes
to that PostgreSQL database instead of the folder's TinyDB store.
"""
from __future__ import annotations

import itertools
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from inspect_app.domain.models import Answer, Inspection  # noqa: E402
from inspect_app.storage import new_id  # noqa: E402
from inspect_app.storage.tinydb_store import TinyDBStore  # noqa: E402


def main(data_dir: str, inspection_id: str, prefix: str, count: int, create_every: int) -> None:
    url = os.environ.get("INSPECT_WRITER_DATABASE_URL")
    if url:
        from inspect_app.storage.postgres_store import PostgresStore

        store = PostgresStore(url, data_dir, pool_size=2)
    else:
        store = TinyDBStore(data_dir)
    print("READY", flush=True)
    for n in (itertools.count() if count == 0 else range(count)):
        key = f"{prefix}-{n}"

        def change(inspection: Inspection) -> int:
            inspection.answers[key] = Answer(rev=1, value=n, by=prefix)
            return inspection.rev + 1  # the store writes the copy with rev + 1

        rev = store.update_inspection(inspection_id, change)
        print(f"A {inspection_id} {rev} {key}", flush=True)
        if create_every and n % create_every == 0:
            new = Inspection(id=new_id(), unit=f"U{n % 7}", period="2025", kind="inspection",
                             checklist={"id": "cchc", "version": "1", "title": "Kiểm tra"},
                             created_by=prefix, created_at=f"2025-01-01T00:00:{n % 60:02d}")
            store.add_inspection(new)
            print(f"C {new.id}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
