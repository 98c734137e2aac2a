"""Two app servers, one PostgreSQL database (issue 16, point 3): two gunicorn instances
(2 workers and 4 threads each, separate data folders) and 16 phones over a lossy network:
about 30 % of responses are lost after the server handled the request, and every op is
sent again with its op_id, to either server, until its answer arrives. Answers and
remediation updates; one server is killed (SIGKILL) in the middle. Afterwards nothing
acknowledged is lost, nothing is doubled, nothing is wrongly overwritten, and writes on
an old revision come back as 409."""
from __future__ import annotations

import http.client
import json
import os
import queue
import random
import signal
import threading
import uuid

import pytest

from inspect_app import create_app
from inspect_app.services import accounts
from inspect_app.services import units as unit_service

from .postgres import empty_database
from .test_gunicorn import GUNICORN, Server
from .test_gunicorn_answers import CRITERIA

pytestmark = pytest.mark.skipif(not GUNICORN.exists(), reason="gunicorn is not installed")

SECRET = "two-servers-secret"
CLIENTS = 16
LOSS = 0.3
STEPS = 3  # remediation updates per item, one after the other


def call(port, method, path, token, body=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, json.dumps(body) if body is not None else None,
                           {"Authorization": f"Bearer {token}",
                            "Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


@pytest.fixture
def world(pg_url, tmp_path):
    empty_database(pg_url)
    app = create_app({"DATA_DIR": str(tmp_path / "setup"), "SECRET_KEY": SECRET,
                      "DATABASE_URL": pg_url})
    store = app.extensions["store"]
    unit_service.add_unit(store, "TN", "Xã Thiện Nghiệp")
    unit_service.add_unit(store, "NT", "Xã Nông Thượng")
    unit_service.add_unit(store, "KL", "Xã Kim Long")
    tokens = {}
    for n in range(4):
        accounts.create_user(store, f"tt{n}", "inspector", password="mat-khau-dai")
        tokens[f"tt{n}"] = accounts.issue_token(store, f"tt{n}")
    accounts.create_user(store, "xa", "unit", unit="NT", password="mat-khau-dai")
    tokens["xa"] = accounts.issue_token(store, "xa")
    client = app.test_client()

    def api(method, path, token, body=None):
        response = client.open(f"/api/v1{path}", method=method, json=body,
                               headers={"Authorization": f"Bearer {token}"})
        assert response.status_code in (200, 201), response.get_json()
        return response.get_json()

    start = {"checklist": "cchc-xa", "period": "2025", "kind": "inspection",
             "team": ["tt1", "tt2", "tt3"]}
    drafts = [api("POST", "/inspections", tokens["tt0"], {**start, "unit": u})["id"]
              for u in ("TN", "NT", "KL")]
    done = api("POST", "/inspections", tokens["tt0"], {**start, "unit": "NT", "period": "2024"})
    finalized = api("POST", f"/inspections/{done['id']}/finalize", tokens["tt0"],
                    {"op_id": str(uuid.uuid4()), "allow_unanswered": True})
    items = [i["id"] for i in finalized["remediation"]][:16]
    servers = [Server(tmp_path / name, tmp_path / f"{name}.log", SECRET, threads=4,
                      database_url=pg_url) for name in ("one", "two")]
    try:
        for server in servers:
            server.wait_ready()
        yield {"servers": servers, "tokens": tokens, "drafts": drafts, "items": items,
               "finalized": done["id"], "store": store}
    finally:
        for server in servers:
            server.stop()
        store.close()


def test_two_servers_lossy_network_and_a_killed_server(world):
    servers, tokens, store = world["servers"], world["tokens"], world["store"]
    inspectors = [tokens[f"tt{n}"] for n in range(4)]
    rng = random.Random(16)
    alive = [s.port for s in servers]
    lock = threading.Lock()
    counts = {"sent": 0, "lost": 0, "refused": 0, "acked": 0}
    killed = threading.Event()

    def deliver(method, path, token, body):
        """Send until an answer arrives (lost ones are sent again, to either server)."""
        while True:
            with lock:
                port = rng.choice(alive)
                counts["sent"] += 1
                lose = rng.random() < LOSS
            try:
                status, reply = call(port, method, path, token, body)
            except (OSError, http.client.HTTPException, ValueError):  # the killed server
                # (refused, reset, or cut in the middle of its answer)
                with lock:
                    counts["refused"] += 1
                    if killed.is_set() and port in alive and len(alive) > 1:
                        alive.remove(port)
                continue
            if lose:  # handled by the server, the answer lost on the way back
                with lock:
                    counts["lost"] += 1
                continue
            with lock:
                counts["acked"] += 1
                if counts["acked"] == 40 and not killed.is_set():
                    os.killpg(servers[0].process.pid, signal.SIGKILL)
                    killed.set()
            return status, reply

    # chains of ops: one answer each, or an item's updates one after the other
    chains = []
    for n, (iid, cid) in enumerate((i, c) for i in world["drafts"] for c in CRITERIA):
        chains.append(("answer", iid, cid, {"op_id": str(uuid.uuid4()), "base_rev": 0,
                                            "value": n % 2 == 0, "note": f"Ghi chú số {n}"}))
    for item in world["items"]:
        chains.append(("item", item, None, None))
    rng.shuffle(chains)
    work: queue.Queue = queue.Queue()
    for chain in chains:
        work.put(chain)
    acked: dict[tuple[str, str], dict] = {}
    item_revs: dict[str, list[int]] = {}
    failures: list[str] = []

    def phone(n: int) -> None:
        try:
            work_through(n)
        except Exception as exc:  # a phone that stops is a failure of the drill
            failures.append(f"phone {n}: {exc!r}")

    def work_through(n: int) -> None:
        while True:
            try:
                kind, target, cid, body = work.get_nowait()
            except queue.Empty:
                return
            if kind == "answer":
                status, reply = deliver("PUT", f"/api/v1/inspections/{target}/answers/{cid}",
                                        inspectors[n % 4], body)
                if status != 200:
                    failures.append(f"{target}/{cid}: {status} {reply}")
                else:
                    acked[(target, cid)] = {"body": body, "reply": reply}
                continue
            base, revs = 1, []
            for step in range(STEPS):
                body = {"op_id": str(uuid.uuid4()), "base_rev": base,
                        "progress_note": f"Bước {step + 1} của {target}"}
                if step == 0:
                    body["status"] = "in_progress"
                status, reply = deliver("PATCH", f"/api/v1/remediation/{target}", tokens["xa"],
                                        body)
                if status != 200:
                    failures.append(f"{target} step {step}: {status} {reply}")
                    break
                base = reply["rev"]
                revs.append(base)
            item_revs[target] = revs

    threads = [threading.Thread(target=phone, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not failures, failures[:5]
    assert killed.is_set() and counts["lost"] > 10

    lost = doubled = overwritten = 0
    for iid in world["drafts"]:
        record = store.get_inspection(iid)
        mine = {cid: a for (i, cid), a in acked.items() if i == iid}
        lost += sum(1 for cid in mine if cid not in record.answers)
        for cid, sent in mine.items():
            answer = record.answers.get(cid)
            if answer is None:
                continue
            doubled += answer.rev != 1 or sent["reply"]["rev"] != 1
            overwritten += (answer.value, answer.note) != (sent["body"]["value"],
                                                           sent["body"]["note"])
        doubled += record.rev != 1 + len(mine)  # created, then each distinct op once
    record = store.get_inspection(world["finalized"])
    by_id = {i.id: i for i in record.items}
    for item, revs in item_revs.items():
        notes = [p.note for p in by_id[item].progress]
        lost += sum(1 for s in range(STEPS) if f"Bước {s + 1} của {item}" not in notes)
        doubled += len(notes) != STEPS or by_id[item].rev != 1 + STEPS or revs != [2, 3, 4]
        overwritten += by_id[item].status != "in_progress"
    for server in servers:  # both servers took writes (the killed one before it died)
        assert server.workers_seen("PUT", "/api/v1/inspections/", 200), server.console()
    print(f"two servers: {counts}")  # shown with -s
    assert (lost, doubled, overwritten) == (0, 0, 0), counts

    # a write on an old revision changing what changed since is a conflict (surviving server)
    port = alive[0] if alive[0] != servers[0].port else servers[1].port
    iid, cid = next(iter(acked))
    status, reply = call(port, "PUT", f"/api/v1/inspections/{iid}/answers/{cid}", inspectors[0],
                         {"op_id": str(uuid.uuid4()), "base_rev": 0, "value": None,
                          "note": "Ghi đè"})
    assert status == 409 and reply["current"]["rev"] == 1
    item = world["items"][0]
    status, reply = call(port, "PATCH", f"/api/v1/remediation/{item}", tokens["xa"],
                         {"op_id": str(uuid.uuid4()), "base_rev": 1, "status": "open"})
    assert status == 409 and reply["current"]["rev"] == 1 + STEPS
