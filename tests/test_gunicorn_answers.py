"""Many phones saving answers at once through two gunicorn workers on one data folder (or
one PostgreSQL database),
every write sent several times (retries after lost responses, some at the same moment):
afterwards every answer is there exactly once. Run with sync workers and with the
threaded workers the deployment recommends (``--threads 4``: threads of one process and
two processes writing the same records)."""
from __future__ import annotations

import http.client
import json
import random
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from inspect_app import create_app
from inspect_app.services import accounts, commands
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service

from .test_gunicorn import GUNICORN, Server

pytestmark = pytest.mark.skipif(not GUNICORN.exists(), reason="gunicorn is not installed")

SECRET = "multi-writer-secret"
CRITERIA = ["1.6", "1.10", "3.2", "3.9", "3.15", "3.16", "4.1", "4.2", "4.3", "4.4", "5.2",
            "6.1", "2.1", "6.4", "7.3"]  # yes/no criteria (6.2 became multi in issue 10)


def put(port, token, iid, cid, body):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("PUT", f"/api/v1/inspections/{iid}/answers/{cid}", json.dumps(body),
                           {"Authorization": f"Bearer {token}",
                            "Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


@pytest.fixture(scope="module", params=[(1, False), (4, False), (4, True)],
                ids=["sync", "threads", "threads-postgres"])
def world(tmp_path_factory, request):
    threads, postgres = request.param
    url = ""
    if postgres:  # skipped without INSPECT_TEST_DATABASE_URL
        from .postgres import empty_database

        url = request.getfixturevalue("pg_url")
        empty_database(url)
    root = tmp_path_factory.mktemp("writers")
    app = create_app({"DATA_DIR": str(root / "data"), "SECRET_KEY": SECRET,
                      "DATABASE_URL": url})
    store, library = app.extensions["store"], app.extensions["checklists"]
    unit_service.add_unit(store, "TN", "Xã Thiện Nghiệp")
    unit_service.add_unit(store, "NT", "Xã Nông Thượng")
    tokens = []
    for n in range(4):
        accounts.create_user(store, f"tt{n}", "inspector", password="mat-khau-dai")
        tokens.append(accounts.issue_token(store, f"tt{n}"))
    lead = service.scope_for(store, store.get_user("tt0"))
    ids = [service.start(store, library, lead, commands.StartRequest(
        unit=unit, checklist="cchc-xa", period="2025", kind="inspection",
        team=["tt1", "tt2", "tt3"])).id
           for unit in ("TN", "NT")]
    server = Server(root / "data", root / "access.log", SECRET, threads=threads, database_url=url)
    try:
        server.wait_ready()
        yield {"server": server, "tokens": tokens, "ids": ids, "store": store}
    finally:
        server.stop()


def test_parallel_writers_with_retries_keep_every_answer_exactly_once(world):
    port, tokens, ids = world["server"].port, world["tokens"], world["ids"]
    rng = random.Random(7)
    ops = []  # (token, inspection, criterion, body): one distinct change each
    for n, (iid, cid) in enumerate((i, c) for i in ids for c in CRITERIA):
        body = {"op_id": str(uuid.uuid4()), "base_rev": 0, "value": n % 2 == 0,
                "note": f"Ghi chú số {n}"}
        ops.append((tokens[n % len(tokens)], iid, cid, body))
    sends = [op for op in ops for _ in range(3)]  # every op three times
    rng.shuffle(sends)
    with ThreadPoolExecutor(12) as pool:
        results = list(pool.map(lambda s: put(port, *s), sends))
    assert {status for status, _ in results} == {200}, [r for r in results if r[0] != 200][:3]
    for (_, _iid, _cid, body) in ops:
        answers = [r for (s, r), send in zip(results, sends) if send[3] is body]
        assert {a["rev"] for a in answers} == {1}  # the retries got the same result

    # one criterion edited step by step by one phone, each step sent twice at once
    iid, token = ids[0], tokens[0]
    base = 0
    for step in range(6):
        body = {"op_id": str(uuid.uuid4()), "base_rev": base, "inputs": {"planned": 20,
                                                                         "done": 10 + step}}
        with ThreadPoolExecutor(2) as pool:
            pair = list(pool.map(lambda _: put(port, token, iid, "1.2", body), range(2)))
        assert [s for s, _ in pair] == [200, 200] and pair[0][1]["rev"] == pair[1][1]["rev"]
        base = pair[0][1]["rev"]
    assert base == 6

    for n, iid in enumerate(ids):
        record = world["store"].get_inspection(iid)
        assert sorted(record.answers) == sorted(CRITERIA + (["1.2"] if n == 0 else []))
        for cid in CRITERIA:
            assert record.answers[cid].rev == 1
        expected_writes = len(CRITERIA) + (6 if n == 0 else 0)
        assert record.rev == 1 + expected_writes  # created, then each distinct op once
    assert record.answers  # both records read back through a separate store instance
    assert world["store"].get_inspection(ids[0]).answers["1.2"].inputs == {"planned": 20, "done": 15}
    workers = world["server"].workers_seen("PUT", "/api/v1/inspections/", 200)
    assert len(workers) == 2, f"only {workers} answered"
