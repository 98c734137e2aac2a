"""The TinyDB store (and the PostgreSQL store) under SIGKILL and under several writer
processes.

Writers run tests/helpers/storage_writer.py in real child processes: killing a
thread would not test anything, and a second process is what shares a data folder
in production (several gunicorn workers).
"""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from inspect_app.domain.models import Inspection
from inspect_app.storage.tinydb_store import TinyDBStore

from .support import check_store_is_whole

WRITER = Path(__file__).parent / "helpers" / "storage_writer.py"

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")


class Writer:
    """A writer process and the lines it printed (each one an acknowledged write)."""

    def __init__(self, data_dir: Path, inspection_id: str, prefix: str, count: int = 0,
                 create_every: int = 3, database_url: str = "") -> None:
        self.lines: list[str] = []
        self.ready = threading.Event()
        self.proc = subprocess.Popen(
            [sys.executable, str(WRITER), str(data_dir), inspection_id, prefix, str(count),
             str(create_every)],
            stdout=subprocess.PIPE, text=True, encoding="utf-8",
            env={**os.environ, "INSPECT_WRITER_DATABASE_URL": database_url})
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            # A line cut short by the kill has no newline: its write was not acknowledged.
            if line.endswith("\n"):
                if line == "READY\n":
                    self.ready.set()
                else:
                    self.lines.append(line.split())

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self._reader.join(timeout=5)

    def wait(self, timeout: float) -> int:
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=5)
        return code

    def answers(self) -> list[tuple[int, str]]:
        return [(int(rev), key) for kind, _iid, rev, key in
                (line for line in self.lines if line[0] == "A")]

    def creates(self) -> list[str]:
        return [line[1] for line in self.lines if line[0] == "C"]


def new_target(data_dir: Path, store=None) -> str:
    store = store or TinyDBStore(data_dir)
    store.add_inspection(Inspection(id="target01", unit="X01", period="2025", kind="inspection",
                                    checklist={"id": "cchc", "version": "1"},
                                    created_at="2024-12-31T00:00:00"))
    return "target01"


def test_sigkill_never_loses_an_acknowledged_write(tmp_path):
    seed = int(time.time())
    rng = random.Random(seed)
    data_dir = tmp_path / "data"
    target = new_target(data_dir)
    acked_keys: set[str] = set()
    created: list[str] = []
    max_rev = 1
    for round_no in range(5):
        writer = Writer(data_dir, target, f"r{round_no}")
        assert writer.ready.wait(15), "writer did not start"
        time.sleep(rng.uniform(0.05, 0.5))
        writer.kill()
        assert writer.proc.returncode == -signal.SIGKILL
        answers = writer.answers()
        acked_keys |= {key for _rev, key in answers}
        max_rev = max([max_rev] + [rev for rev, _key in answers])
        created += writer.creates()

    assert acked_keys, f"no write acknowledged (seed {seed})"
    store = check_store_is_whole(data_dir)
    inspection = store.get_inspection(target)
    missing = acked_keys - set(inspection.answers)
    assert not missing, f"acknowledged answers lost (seed {seed}): {sorted(missing)[:5]}"
    # Each update adds one answer; an update killed after its write but before its
    # acknowledgement is there too, and counted in rev.
    assert inspection.rev == len(inspection.answers) + 1 >= max_rev
    listed = {s.id for s in store.list_inspections()}
    assert set(created) <= listed, f"acknowledged inspections missing (seed {seed})"


def test_writer_processes_share_one_inspection(tmp_path):
    data_dir = tmp_path / "data"
    target = new_target(data_dir)
    per_process, processes = 25, 4
    writers = [Writer(data_dir, target, f"p{n}", count=per_process, create_every=5)
               for n in range(processes)]
    assert [w.wait(timeout=60) for w in writers] == [0] * processes

    store = check_store_is_whole(data_dir)
    inspection = store.get_inspection(target)
    expected = {f"p{n}-{i}" for n in range(processes) for i in range(per_process)}
    assert set(inspection.answers) == expected
    assert inspection.rev == processes * per_process + 1
    # Every revision was handed out exactly once: the updates were serialised.
    revs = sorted(rev for w in writers for rev, _key in w.answers())
    assert revs == list(range(2, processes * per_process + 2))
    created = [i for w in writers for i in w.creates()]
    assert len(created) == processes * per_process // 5
    assert {s.id for s in store.list_inspections()} == set(created) | {target}
    assert os.path.isdir(store.root / "index")


# -- the same on PostgreSQL (skipped without INSPECT_TEST_DATABASE_URL) -------------------

def test_postgres_writer_processes_share_one_inspection(pg_store, pg_empty_url, tmp_path):
    target = new_target(tmp_path, pg_store)
    per_process, processes = 25, 4
    writers = [Writer(tmp_path / f"w{n}", target, f"p{n}", count=per_process, create_every=5,
                      database_url=pg_empty_url) for n in range(processes)]
    assert [w.wait(timeout=60) for w in writers] == [0] * processes
    inspection = pg_store.get_inspection(target)
    expected = {f"p{n}-{i}" for n in range(processes) for i in range(per_process)}
    assert set(inspection.answers) == expected
    assert inspection.rev == processes * per_process + 1
    revs = sorted(rev for w in writers for rev, _key in w.answers())
    assert revs == list(range(2, processes * per_process + 2))  # serialised by the row lock
    created = [i for w in writers for i in w.creates()]
    assert {s.id for s in pg_store.list_inspections()} == set(created) | {target}


def test_postgres_sigkill_never_loses_an_acknowledged_write(pg_store, pg_empty_url, tmp_path):
    seed = int(time.time())
    rng = random.Random(seed)
    target = new_target(tmp_path, pg_store)
    acked: set[str] = set()
    created: list[str] = []
    for round_no in range(3):
        writer = Writer(tmp_path / f"w{round_no}", target, f"r{round_no}",
                        database_url=pg_empty_url)
        assert writer.ready.wait(15), "writer did not start"
        time.sleep(rng.uniform(0.1, 0.5))
        writer.kill()
        acked |= {key for _rev, key in writer.answers()}
        created += writer.creates()
    assert acked, f"no write acknowledged (seed {seed})"
    inspection = pg_store.get_inspection(target)
    assert not acked - set(inspection.answers), f"acknowledged answers lost (seed {seed})"
    assert inspection.rev == len(inspection.answers) + 1  # nothing half-written
    assert set(created) <= {s.id for s in pg_store.list_inspections()}
