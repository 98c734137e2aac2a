"""Autosave latency over HTTP with 10 and with 10,000 stored inspections, and the
server-side render time of a section page.

    .venv/bin/python -m bench.bench_autosave [--saves 400] [--renders 200]

For each store size: a temporary data folder gets 100 communes, one inspector with
an API token, 10 real (empty) inspections of the shipped ``cchc-xa`` checklist (57 criteria)
and, for the big store, 9,990 more inspections bulk-loaded beside them. The app runs
under gunicorn (1 sync worker, as in production but without a second worker competing
for the 2 cores) and a client on loopback sends ``PUT /api/v1/inspections/<id>/answers/<c>``
round-robin over the 10 inspections and their criteria, each with a fresh op_id and the
base_rev of the previous answer — the request a phone sends on every change. Latency is
measured at the client (request sent → response read), p50 and p95 in milliseconds.

The render figure is measured in-process (Flask test client, so no network): GET of the
section page with 16 criteria (III) and with 10 (I) of an inspection with every criterion
answered, as it is mostly seen (its cards already drawn for the content shown) and
cold (nothing kept), interleaved.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inspect_app import create_app  # noqa: E402
from inspect_app.domain.models import Inspection  # noqa: E402
from inspect_app.services import accounts, commands, demo  # noqa: E402
from inspect_app.services import inspections as service  # noqa: E402
from inspect_app.services import units as unit_service  # noqa: E402
from inspect_app.storage import new_id  # noqa: E402

TARGETS = 10


def percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[94]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def build_store(folder: Path, size: int) -> tuple[str, list[str], str]:
    """Fill ``folder``; return an API token, the ids of the (empty) target inspections
    and the id of a fully answered one."""
    accounts.PASSWORD_METHOD = "scrypt:1024:8:1"  # setup speed only; not measured
    app = create_app({"DATA_DIR": str(folder), "SECRET_KEY": "bench"})
    store, library = app.extensions["store"], app.extensions["checklists"]
    for n in range(100):
        unit_service.add_unit(store, f"X{n:03d}", f"Xã số {n}")
    user = accounts.create_user(store, "thanhtra", "inspector", password="bench-password")
    token = accounts.issue_token(store, "thanhtra")
    scope = service.scope_for(store, user)
    targets = []
    for n in range(TARGETS):
        inspection = service.start(store, library, scope, commands.StartRequest(
            unit=f"X{n:03d}", checklist="cchc-xa", period="2025", kind="inspection"))
        targets.append(inspection.id)
    template = service.start(store, library, scope, commands.StartRequest(
        unit="X099", checklist="cchc-xa", period="2025", kind="inspection"))
    checklist = service.checklist_of(template)
    answers = demo._answers(checklist, "X099", random.Random(1), 0.8)
    for cid, answer in answers.items():
        service.save_answer(store, scope, template.id, commands.answer_op(
            cid, {"op_id": str(uuid.uuid4()), "base_rev": 0, **answer}))
    filled = store.get_inspection(template.id)

    data = filled.to_dict()
    data.update(ops={}, team=[])  # others' inspections: not on this inspector's team

    def others():
        for n in range(size - TARGETS - 1):
            yield Inspection.from_dict({**data, "id": new_id(), "unit": f"X{n % 100:03d}"})
    if size > TARGETS + 1:
        store.import_inspections(others(), durable=False)
    return token, targets, template.id


def start_server(folder: Path, port: int) -> subprocess.Popen:
    env = dict(os.environ, INSPECT_DATA_DIR=str(folder), INSPECT_SECRET_KEY="bench")
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-w", "1", "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", "inspect_app:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("gunicorn did not start")


def autosave(port: int, token: str, targets: list[str], saves: int) -> list[float]:
    """Latencies (ms) of ``saves`` answer PUTs, each waiting for the previous one."""
    criteria = ["1.6", "1.10", "3.2", "4.1", "4.2", "5.2", "6.1", "7.3"]
    revs: dict[tuple[str, str], int] = {}
    samples = []
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    for k in range(saves + 20):
        iid = targets[k % len(targets)]
        cid = criteria[(k // len(targets)) % len(criteria)]
        body = json.dumps({"op_id": str(uuid.uuid4()), "base_rev": revs.get((iid, cid), 0),
                           "value": k % 3 != 0, "note": f"Lần lưu {k}"})
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        start = time.perf_counter()
        connection.request("PUT", f"/api/v1/inspections/{iid}/answers/{cid}", body, headers)
        response = connection.getresponse()
        data = response.read()
        elapsed = (time.perf_counter() - start) * 1000
        connection.close()
        if response.status != 200:
            raise RuntimeError(f"{response.status}: {data[:200]!r}")
        revs[(iid, cid)] = json.loads(data)["rev"]
        if k >= 20:  # the first requests warm the worker up
            samples.append(elapsed)
    return samples


def render_times(folder: Path, inspection_id: str, renders: int) -> dict[str, tuple[float, float]]:
    """In-process timings (ms) of the section page: as a record's section is mostly seen
    (its score card and its criteria's cards already drawn for the content shown: a team
    viewing and re-viewing, a save changing one card at a time) and cold (those kept
    renderings dropped before every request: the first view of a section after a restart)."""
    from inspect_app.services import inspections as inspections_service
    from inspect_app.web import fill_forms

    app = create_app({"DATA_DIR": str(folder), "SECRET_KEY": "bench", "TESTING": True})
    client = app.test_client()
    with client.session_transaction() as session:
        user = app.extensions["store"].get_user("thanhtra")
        session["_user_id"] = f"thanhtra:{user.password_hash[-12:]}"
        session["_fresh"] = True
    inspection = app.extensions["store"].get_inspection(inspection_id)
    checklist = service.checklist_of(inspection)
    out = {}
    for section in ("tthc", "chi_dao"):
        path = f"/inspections/{inspection_id}/s/{section}"
        assert client.get(path).status_code == 200
        samples, cold = [], []
        for _ in range(renders):  # interleaved: warm, then cold
            start = time.perf_counter()
            response = client.get(path)
            samples.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
            fill_forms._RENDERED.clear()  # noqa: SLF001 (the kept cards and score cards)
            inspections_service._CARDS.clear()  # noqa: SLF001
            start = time.perf_counter()
            response = client.get(path)
            cold.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        count = len(checklist.section(section).criteria)
        out[f"section {section} ({count} criteria): whole request"] = percentiles(samples)
        out[f"section {section} ({count} criteria): cold (nothing kept)"] = percentiles(cold)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--saves", type=int, default=400)
    parser.add_argument("--renders", type=int, default=200)
    args = parser.parse_args()
    results: dict[int, tuple[float, float]] = {}
    render: dict[str, tuple[float, float]] = {}
    for size in (10, 10_000):
        folder = Path(tempfile.mkdtemp(prefix=f"bench-autosave-{size}-"))
        try:
            started = time.time()
            token, targets, filled = build_store(folder, size)
            print(f"store with {size} inspections ready in {time.time() - started:.1f} s",
                  file=sys.stderr)
            port = free_port()
            server = start_server(folder, port)
            try:
                results[size] = percentiles(autosave(port, token, targets, args.saves))
            finally:
                server.terminate()
                server.wait(timeout=10)
            if size == 10_000:
                render = render_times(folder, filled, args.renders)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    print(f"\nautosave over HTTP (gunicorn, 1 worker), {args.saves} saves each")
    print(f"{'stored inspections':>20} {'p50 ms':>8} {'p95 ms':>8}")
    for size, (p50, p95) in results.items():
        print(f"{size:>20,} {p50:>8.2f} {p95:>8.2f}")
    print(f"p95 ratio 10,000 : 10 = {results[10_000][1] / results[10][1]:.2f} (goal ≤ 1.2; p95 goal < 25 ms)")
    print(f"\nsection page, server side, {args.renders} renders (store of 10,000)")
    for name, (p50, p95) in render.items():
        print(f"  {name:<52} p50 {p50:6.2f} ms   p95 {p95:6.2f} ms")


if __name__ == "__main__":
    main()
