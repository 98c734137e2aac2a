"""The two job stores behind one JobStore interface (storage/jobs.py): the files of the
embedded store and the database's ``export_jobs`` table (storage/pg_jobs.py), checked by
the same tests (the PostgreSQL ones skipped without INSPECT_TEST_DATABASE_URL)."""
from __future__ import annotations

import time

import pytest

from inspect_app.storage import new_id
from inspect_app.storage.jobs import Busy, ExportJobs, open_jobs


@pytest.fixture(params=["files", "postgres"])
def jobs(request, tmp_path):
    if request.param == "files":
        yield ExportJobs(tmp_path / "data")
        return
    store = request.getfixturevalue("pg_store")
    yield open_jobs(store, tmp_path / "data")


def job_of(owner: str) -> dict:
    return {"id": new_id(), "owner": owner, "done": 0, "total": None,
            "filters": {"period": "2025", "units": ["NT"]}, "started_at_epoch": time.time()}


def test_a_job_runs_ends_and_hands_out_its_workbook(jobs, tmp_path):
    job = job_of("admin")
    lease = jobs.create(job)
    assert jobs.get(job["id"])["status"] == "running"
    assert jobs.update(job["id"], done=1, total=2)["done"] == 1
    assert jobs.get(job["id"])["filters"] == {"period": "2025", "units": ["NT"]}
    finished = tmp_path / "book.xlsx.tmp"
    finished.write_bytes(b"PK\x03\x04 a workbook")
    assert jobs.keep_output(job["id"], finished) == len(b"PK\x03\x04 a workbook")
    jobs.update(job["id"], status="done", finished_at_epoch=time.time())
    jobs.release(job["id"], lease)
    record = jobs.get(job["id"])
    assert record["status"] == "done" and record["total"] == 2
    assert jobs.output_file(job["id"]).read_bytes() == b"PK\x03\x04 a workbook"
    assert [j["id"] for j in jobs.all()] == [job["id"]]
    assert jobs.expire(3600) == []  # kept for an hour
    assert jobs.expire(0, now=time.time() + 1) == [job["id"]]
    assert jobs.get(job["id"]) is None and jobs.output_file(job["id"]) is None


def test_one_queued_or_running_job_per_owner(jobs):
    first = job_of("admin")
    assert jobs.create(first, queued=True) is None
    with pytest.raises(Busy) as busy:
        jobs.create(job_of("admin"))
    assert busy.value.job["id"] == first["id"]
    other = job_of("lead")
    jobs.release(other["id"], jobs.create(other))  # another owner may
    lease = jobs.claim(first["id"])
    assert lease is not None and jobs.get(first["id"])["status"] == "running"
    assert jobs.claim(first["id"]) is None  # claimed once
    with pytest.raises(Busy):
        jobs.create(job_of("admin"))
    jobs.update(first["id"], status="failed", finished_at_epoch=time.time(),
                error={"template": "x", "params": {}})
    jobs.release(first["id"], lease)
    jobs.release(*(lambda j: (j["id"], jobs.create(j)))(job_of("admin")))


def test_a_running_job_whose_runner_let_go_reads_as_interrupted(jobs):
    job = job_of("admin")
    lease = jobs.create(job)
    jobs.release(job["id"], lease)  # as when its process dies: the lease goes, no ending
    assert jobs.get(job["id"])["status"] == "interrupted"
    assert jobs.claim(job["id"]) is None
    again = job_of("admin")
    jobs.release(again["id"], jobs.create(again))  # its owner may start another


def test_unknown_and_malformed_job_ids(jobs):
    assert jobs.get("nope") is None and jobs.get("../x") is None
    assert jobs.claim("../x") is None and jobs.output_file("../x") is None
