"""Answer writes per second through two gunicorn workers, against a minimal Flask +
SQLite app doing the same write, in the same run (issue 12, point 4).

    /work/main/.venv/bin/python -m bench.bench_writes [--seconds 10] [--rounds 2]
        [--clients 8,32] [--threads 4] [--scenarios spread,hot]

Two servers run side by side on 127.0.0.1, each ``gunicorn -w 2 --threads <threads>``
(the same arguments for both):

* **app** — this project on a temporary TinyDB data folder: 100 communes, 32 inspectors
  with an API token each (one phone each), 1.000 answered inspections bulk-loaded as
  background, and fresh empty ``cchc-xa`` inspections for the clients to fill;
* **sqlite** — :mod:`bench.sqlite_reference` on a temporary database (WAL,
  ``synchronous=FULL``) with the same tokens and inspection ids.

N clients (threads of this process, one keep-alive connection each, reconnecting when
the server closes it) send ``PUT /api/v1/inspections/<id>/answers/<criterion>`` with
``Authorization: Bearer <token>`` and the same JSON body to both: a fresh ``op_id``,
the ``base_rev`` of the client's previous save of that answer, and a yes/no value with
a note (or the inputs of a ratio criterion). Each client waits for its answer before
sending the next, as a phone's queue does. Scenarios:

* ``spread`` — every client on its own inspection (one phone per inspection), cycling
  over that inspection's criteria;
* ``hot`` — every client on the same inspection, each on its own criterion (one team
  filling one record).

Each (scenario, clients) pair runs ``--rounds`` rounds of ``--seconds`` seconds on each
server, interleaved A/B then B/A, every round on fresh inspections (so that records
do not grow from round to round). Printed per pair and server: writes/s (only 200s
count; any other status is reported and fails the run), p50/p95/p99 latency in ms
measured at the client (request sent → response read), and the ratio app : sqlite.

Before the servers start, ``--cpu-saves`` saves on each app in this process (Flask's
test client, interleaved blocks) give the CPU time of one save, app and reference.
``--disk-only`` prints only the disk's floor: atomic replacements per second of a
40 KB file (the store's ``write_atomic``) by 1, 4 and 16 threads.

``--stores tinydb,postgres,postgres2`` (issue 16, point 6) measures the app on more
stores in the same run, interleaved with the reference: ``postgres`` is one gunicorn on
the PostgreSQL store, ``postgres2`` two gunicorn instances (2 workers each, separate
local folders) on the same database with the clients split between them. The data is
built once on TinyDB and copied into the database with ``store copy``'s code (the same
ids). The database comes from ``--database-url`` or ``INSPECT_TEST_DATABASE_URL`` and is
emptied first, so run it under ``.ci/postgres``::

    INSPECT_PG_DURABLE=1 .ci/postgres .venv/bin/python -m bench.bench_writes \
        --stores tinydb,postgres,postgres2

(``INSPECT_PG_DURABLE=1``: the throwaway server keeps PostgreSQL's default durability, as
the TinyDB store keeps its fsyncs; without it the test server runs with fsync off.)
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import sqlite_reference  # noqa: E402
from inspect_app import create_app  # noqa: E402
from inspect_app.domain.models import Inspection  # noqa: E402
from inspect_app.services import (  # noqa: E402
    accounts,
    commands,  # noqa: E402
    demo,
)
from inspect_app.services import inspections as service  # noqa: E402
from inspect_app.services import units as unit_service  # noqa: E402
from inspect_app.storage import new_id  # noqa: E402

GUNICORN = Path(sys.executable).with_name("gunicorn")
PHONES = 32
BACKGROUND = 1000
# Criteria of cchc-xa a client can answer with the same kind of body every time.
YESNO = ["1.6", "1.10", "2.1", "3.2", "3.9", "3.15", "3.16", "4.1", "4.2", "4.3", "4.4", "5.2",
         "6.1", "6.4", "7.3"]
RATIO = ["1.2", "1.3", "1.4", "1.5", "1.7", "1.8", "2.2", "2.3", "2.4", "3.1", "3.3", "3.4",
         "3.5", "3.6", "3.7", "3.10", "3.11", "3.12", "3.14", "5.1", "5.3", "6.3", "7.1", "7.2",
         "7.4"]
CRITERIA = YESNO + RATIO  # 40: one per client of the hot scenario


#: criterion id → (numerator inputs, other inputs) of the ratio criteria, from the checklist
RATIO_INPUTS: dict[str, tuple[list[str], list[str]]] = {}


def body_for(criterion: str, k: int) -> dict:
    """The answer a phone sends on its k-th save of ``criterion``."""
    if criterion in YESNO:
        return {"value": k % 2 == 0, "note": f"Lần lưu {k} — đã kiểm tra hồ sơ"}
    top, rest = RATIO_INPUTS[criterion]
    return {"inputs": {**{i: 40 for i in rest}, **{i: 10 + k % 30 for i in top}}}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------- data


def build(folder: Path, needed: int, hot_count: int = 8) -> tuple[list[str], list[str], list[str]]:
    """The app's data folder and the reference's database. Returns the phones' tokens,
    ``needed`` fresh inspection ids (spread rounds; inspection n belongs to phone
    n % PHONES) and ids of hot inspections (every phone on its team)."""
    accounts.PASSWORD_METHOD = "scrypt:1024:8:1"  # setup speed only; not measured
    app = create_app({"DATA_DIR": str(folder / "app"), "SECRET_KEY": "bench"})
    store, library = app.extensions["store"], app.extensions["checklists"]
    for n in range(100):
        unit_service.add_unit(store, f"X{n:03d}", f"Xã số {n}")
    names = [f"tt{n:02d}" for n in range(PHONES)]
    tokens = []
    for name in names:
        accounts.create_user(store, name, "inspector", password="bench-password")
        tokens.append(accounts.issue_token(store, name))
    scopes = [service.scope_for(store, store.get_user(name)) for name in names]
    ids = []
    for n in range(needed):
        ids.append(service.start(store, library, scopes[n % PHONES], commands.StartRequest(
            unit=f"X{n % 100:03d}", checklist="cchc-xa", period=str(2000 + n // 100),
            kind="inspection")).id)
    hot = []
    for n in range(needed, needed + hot_count):
        hot.append(service.start(store, library, scopes[0], commands.StartRequest(
            unit=f"X{n % 100:03d}", checklist="cchc-xa", period=str(2000 + n // 100),
            kind="inspection", team=tuple(names[1:]))).id)
    # background: answered inspections of other inspectors
    template = service.start(store, library, scopes[0], commands.StartRequest(
        unit="X099", checklist="cchc-xa", period="2010", kind="inspection"))
    checklist = service.checklist_of(template)
    for cid in YESNO:
        assert checklist.criterion(cid).type == "yesno", cid
    for cid in RATIO:
        criterion = checklist.criterion(cid)
        assert criterion.type == "ratio", cid
        RATIO_INPUTS[cid] = (list(criterion.numerator),
                             [i.id for i in criterion.inputs if i.id not in criterion.numerator])
    for cid, answer in demo._answers(checklist, "X099", random.Random(1), 0.8).items():
        service.save_answer(store, scopes[0], template.id, commands.answer_op(
            cid, {"op_id": str(uuid.uuid4()), "base_rev": 0, **answer}))
    data = store.get_inspection(template.id).to_dict()
    data.update(team=[], status="finalized")
    store.import_inspections((Inspection.from_dict({**data, "id": new_id(),
                                                    "unit": f"X{n % 100:03d}"})
                              for n in range(BACKGROUND)), durable=False)
    sqlite_reference.prepare(str(folder / "reference.db"), dict(zip(tokens, names)), ids + hot)
    return tokens, ids, hot


# ---------------------------------------------------------------- servers


class Server:
    """gunicorn in its own process group, stopped with SIGTERM then SIGKILL."""

    def __init__(self, name: str, app: str, env: dict[str, str], threads: int,
                 extra: list[str] | None = None):
        self.name, self.port = name, free_port()
        self.process = subprocess.Popen(
            [str(GUNICORN), "-w", "2", "--threads", str(threads), "-b", f"127.0.0.1:{self.port}",
             "--log-level", "warning", "--graceful-timeout", "2", *(extra or []), app],
            cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{name}: gunicorn did not start")

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
            except ProcessLookupError:
                pass


# ---------------------------------------------------------------- clients


class Phone(threading.Thread):
    """One client: saves answers one after the other until ``stop_at``."""

    def __init__(self, port: int, token: str, targets: list[tuple[str, str]], start_at: float,
                 stop_at: float):
        super().__init__(daemon=True)
        self.port, self.targets, self.start_at, self.stop_at = port, targets, start_at, stop_at
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.revs: dict[tuple[str, str], int] = {}
        self.latencies: list[float] = []
        self.failures: list[tuple[int, bytes]] = []
        self.connection: http.client.HTTPConnection | None = None

    def put(self, iid: str, cid: str, body: bytes) -> tuple[int, bytes]:
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                self.connection.request("PUT", f"/api/v1/inspections/{iid}/answers/{cid}", body,
                                        self.headers)
                response = self.connection.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # a keep-alive connection the server had closed: nothing was sent through
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    raise
                continue
            if response.will_close:
                self.connection.close()
                self.connection = None
            return response.status, data
        raise AssertionError("unreachable")

    def run(self) -> None:
        while time.perf_counter() < self.start_at:
            time.sleep(0.001)
        k = 0
        while True:
            iid, cid = self.targets[k % len(self.targets)]
            payload = json.dumps({"op_id": str(uuid.uuid4()), "base_rev": self.revs.get((iid, cid), 0),
                                  **body_for(cid, k)})
            started = time.perf_counter()
            if started >= self.stop_at:
                break
            status, data = self.put(iid, cid, payload.encode())
            done = time.perf_counter()
            if status == 200:
                self.revs[(iid, cid)] = json.loads(data)["rev"]
                if done <= self.stop_at:
                    self.latencies.append((done - started) * 1000)
            else:
                self.failures.append((status, data[:200]))
            k += 1
        if self.connection is not None:
            self.connection.close()


class Target:
    """What the clients talk to: one server, or several behind one name (the clients
    spread over them in turn, as a load balancer would)."""

    def __init__(self, name: str, servers: list[Server]):
        self.name, self.servers = name, servers

    @property
    def ports(self) -> list[int]:
        return [server.port for server in self.servers]

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


def drive(ports: int | list[int], tokens: list[str], plans: list[list[tuple[str, str]]],
          seconds: float) -> tuple[float, list[float], list]:
    """Run one client per plan for ``seconds`` (client n on ``ports[n % len(ports)]``);
    (writes/s, latencies, failures)."""
    ports = [ports] if isinstance(ports, int) else ports
    start_at = time.perf_counter() + 0.3
    phones = [Phone(ports[n % len(ports)], tokens[n % len(tokens)], plan, start_at,
                    start_at + seconds)
              for n, plan in enumerate(plans)]
    for phone in phones:
        phone.start()
    for phone in phones:
        phone.join(seconds + 60)
    latencies = [x for p in phones for x in p.latencies]
    failures = [f for p in phones for f in p.failures]
    return len(latencies) / seconds, latencies, failures


def plans_for(scenario: str, clients: int, ids: list[str], hot: str) -> list[list[tuple[str, str]]]:
    if scenario == "spread":
        assert len(ids) >= clients
        return [[(ids[c], cid) for cid in CRITERIA] for c in range(clients)]
    return [[(hot, CRITERIA[c % len(CRITERIA)])] for c in range(clients)]


def disk_floor(folder: Path, seconds: float = 3.0) -> dict[int, float]:
    """Atomic replacements per second of a 40 KB file (the store's ``write_atomic``: fsync,
    rename, fsync of the folder) by 1, 4 and 16 threads on files of their own: what the
    disk allows before any app code runs."""
    from inspect_app.storage.files import ensure_dir, write_atomic

    out = {}
    for threads in (1, 4, 16):
        stop = time.perf_counter() + seconds
        counts = [0] * threads

        def writer(n: int) -> None:
            path = folder / "disk" / f"{n:02d}" / "record.json"
            ensure_dir(path.parent)
            while time.perf_counter() < stop:
                write_atomic(path, b"x" * 40_000)
                counts[n] += 1
        workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        out[threads] = sum(counts) / seconds
    return out


def cpu_per_save(folder: Path, tokens: list[str], ids: list[str], saves: int
                 ) -> dict[str, float]:
    """CPU milliseconds (``time.process_time``: user + system) per answer save in this
    process through Flask's test client, for the app and for the reference on the same
    data, in interleaved blocks of 50 saves; the same PUT and body as the clients send."""
    os.environ["REFERENCE_DB"] = str(folder / "reference.db")
    apps = {"app": create_app({"DATA_DIR": str(folder / "app"), "SECRET_KEY": "bench"}),
            "sqlite": sqlite_reference.create_app()}
    clients = {name: app.test_client() for name, app in apps.items()}
    headers = {"Authorization": f"Bearer {tokens[0]}"}  # phone 0 owns ids[0]
    revs: dict[tuple[str, str], int] = {}
    spent = {name: 0.0 for name in apps}
    count = {name: 0 for name in apps}

    def block(name: str, k0: int, timed: bool) -> None:
        started = time.process_time()
        for k in range(k0, k0 + 50):
            cid = CRITERIA[k % len(CRITERIA)]
            body = {"op_id": str(uuid.uuid4()), "base_rev": revs.get((name, cid), 0),
                    **body_for(cid, k)}
            response = clients[name].put(f"/api/v1/inspections/{ids[0]}/answers/{cid}",
                                         json=body, headers=headers)
            assert response.status_code == 200, response.data[:200]
            revs[(name, cid)] = response.get_json()["rev"]
        if timed:
            spent[name] += time.process_time() - started
            count[name] += 50
    for name in apps:
        block(name, 0, timed=False)  # warm-up
    for n in range(max(1, saves // 50)):
        for name in (("app", "sqlite") if n % 2 == 0 else ("sqlite", "app")):
            block(name, 50 * (n + 1), timed=True)
    return {name: spent[name] / count[name] * 1000 for name in apps}


def codec_times(path: Path, repeat: int = 300) -> dict[str, tuple[float, float]]:
    """(write, parse) milliseconds of one stored record with orjson and with the standard
    library (``storage/files.json_bytes`` / ``json_load``)."""
    from inspect_app.storage import files

    raw = path.read_bytes()
    data = files.json_load(raw)
    out = {}
    kept = files.orjson
    try:
        for name, module in (("orjson", kept), ("stdlib json", None)):
            if name == "orjson" and kept is None:
                continue
            files.orjson = module
            started = time.process_time()
            for _ in range(repeat):
                files.json_bytes(data)
            wrote = (time.process_time() - started) / repeat * 1000
            started = time.process_time()
            for _ in range(repeat):
                files.json_load(raw)
            out[name] = (wrote, (time.process_time() - started) / repeat * 1000)
    finally:
        files.orjson = kept
    return out


def cuts(samples: list[float]) -> tuple[float, float, float]:
    if len(samples) < 2:
        return (float("nan"),) * 3
    q = statistics.quantiles(samples, n=100, method="inclusive")
    return q[49], q[94], q[98]


def start_targets(folder: Path, stores: list[str], threads: int, database_url: str
                  ) -> list[Target]:
    """The app on each store asked for (named ``app`` on TinyDB as before), then the
    reference. PostgreSQL targets get a copy of the TinyDB data folder in the database."""
    targets = []
    if any(name.startswith("postgres") for name in stores):
        from inspect_app.storage.copy import copy_store
        from inspect_app.storage.postgres_store import PostgresStore
        from inspect_app.storage.tinydb_store import TinyDBStore
        from tests.postgres import empty_database

        empty_database(database_url)
        target = PostgresStore(database_url, folder / "pg-copy")
        report = copy_store(TinyDBStore(folder / "app"), target)
        target.close()
        print(f"copied into PostgreSQL: {report.copied}", file=sys.stderr, flush=True)
    for name in stores:
        if name == "tinydb":
            targets.append(Target("app", [Server("app", "inspect_app:create_app()", {
                "INSPECT_DATA_DIR": str(folder / "app"), "INSPECT_SECRET_KEY": "bench"},
                threads)]))
        elif name in ("postgres", "postgres2"):
            count = 2 if name == "postgres2" else 1
            targets.append(Target(name, [Server(f"{name}-{k}", "inspect_app:create_app()", {
                "INSPECT_DATA_DIR": str(folder / f"{name}-{k}"), "INSPECT_SECRET_KEY": "bench",
                "INSPECT_DATABASE_URL": database_url}, threads) for k in range(count)]))
        else:
            raise SystemExit(f"unknown store {name!r}: tinydb, postgres or postgres2")
    targets.append(Target("sqlite", [Server("sqlite", "bench.sqlite_reference:create_app()",
                                            {"REFERENCE_DB": str(folder / "reference.db")},
                                            threads)]))
    return targets


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--clients", default="8,32")
    parser.add_argument("--threads", type=int, default=4,
                        help="gunicorn threads per worker (1: sync workers)")
    parser.add_argument("--scenarios", default="spread,hot")
    parser.add_argument("--keep", action="store_true", help="keep the data folder")
    parser.add_argument("--stores", default="tinydb",
                        help="app targets, of tinydb, postgres, postgres2 (two servers)")
    parser.add_argument("--database-url", default="",
                        help="a PostgreSQL database to empty and use (postgres targets)")
    parser.add_argument("--cpu-saves", type=int, default=400,
                        help="saves per app for the in-process CPU figure (0: skip)")
    parser.add_argument("--disk-only", action="store_true",
                        help="only the disk's floor: atomic replacements per second")
    args = parser.parse_args()
    if args.disk_only:
        folder = Path(tempfile.mkdtemp(prefix="bench-writes-disk-"))
        try:
            for threads, rate in disk_floor(folder).items():
                print(f"write_atomic of 40 KB, {threads:>2} threads: {rate:6.0f} /s")
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return 0
    clients = [int(c) for c in args.clients.split(",")]
    scenarios = args.scenarios.split(",")
    turns = args.rounds * len(clients) * (len(args.stores.split(",")) + 1)
    needed = PHONES * (turns + 2)  # + warm-up and the CPU figure
    folder = Path(tempfile.mkdtemp(prefix="bench-writes-"))
    servers: list[Target] = []
    stores = args.stores.split(",")
    database_url = args.database_url or os.environ.get("INSPECT_TEST_DATABASE_URL", "")
    if any(name.startswith("postgres") for name in stores) and not database_url:
        parser.error("--stores with postgres needs --database-url or INSPECT_TEST_DATABASE_URL "
                     "(run under .ci/postgres)")
    try:
        started = time.time()
        tokens, ids, hot = build(folder, needed, turns + 1)
        print(f"data ready in {time.time() - started:.1f} s ({len(ids) + len(hot)} inspections "
              f"to fill, {BACKGROUND} in the background)", file=sys.stderr)
        if args.cpu_saves:
            cpu = cpu_per_save(folder, tokens, ids[-PHONES:], args.cpu_saves)
            print(f"CPU per save in-process: app {cpu['app']:.2f} ms, sqlite {cpu['sqlite']:.2f} ms "
                  f"(ratio {cpu['app'] / cpu['sqlite']:.1f})", flush=True)
            record = next((folder / "app" / "store" / "inspections").glob(
                f"*/{ids[-PHONES]}.json"))
            for name, (wrote, parsed) in codec_times(record).items():
                print(f"  that record ({record.stat().st_size:,} bytes) with {name}: write "
                      f"{wrote:.3f} ms, parse {parsed:.3f} ms", flush=True)
        targets = start_targets(folder, stores, args.threads, database_url)
        servers.extend(targets)
        # warm-up: every worker of each server imports, opens the store, fills caches
        batches = iter(range(0, len(ids), PHONES))
        warm = ids[next(batches):][:PHONES]
        for target in targets:
            drive(target.ports, tokens, plans_for("spread", 8, warm, hot[-1]), 1.0)
        results: dict[tuple[str, int], dict[str, list]] = {}
        hot_ids = iter(hot[:-1])
        order = 0
        for scenario in scenarios:
            for n in clients:
                for _ in range(args.rounds):
                    # phone c fills its own inspection, the hot team one shared one
                    shift = order % len(targets)
                    turn = targets[shift:] + targets[:shift]
                    if order % 2:
                        turn.reverse()
                    order += 1
                    for target in turn:
                        # fresh inspections for every target (the PostgreSQL targets share
                        # one database)
                        batch = ids[next(batches):][:PHONES] if scenario == "spread" else []
                        target_id = next(hot_ids) if scenario == "hot" else ""
                        rate, latencies, failures = drive(
                            target.ports, tokens, plans_for(scenario, n, batch, target_id),
                            args.seconds)
                        entry = results.setdefault((scenario, n), {}).setdefault(
                            target.name, [])
                        entry.append((rate, latencies, failures))
                        p50, p95, p99 = cuts(latencies)
                        print(f"  {scenario:>6} {n:>3} clients  {target.name:>9}: {rate:6.1f} "
                              f"writes/s  p50 {p50:6.1f}  p95 {p95:6.1f}  p99 {p99:6.1f} ms"
                              + (f"  {len(failures)} failed: {failures[0]}" if failures else ""),
                              file=sys.stderr, flush=True)
        print(f"\nanswer writes, gunicorn -w 2 --threads {args.threads} per server, "
              f"{args.rounds} × {args.seconds:g} s per target and size, interleaved")
        print(f"{'scenario':>8} {'clients':>7} {'target':>9} {'writes/s':>9} {'p50':>7} "
              f"{'p95':>7} {'p99':>7}  (ms)   ratio to sqlite")
        failed = False
        for (scenario, n), by_target in results.items():
            reference_rate = statistics.median(r for r, _, _ in by_target["sqlite"])
            for target in targets:
                runs = by_target[target.name]
                rate = statistics.median(r for r, _, _ in runs)
                p50, p95, p99 = cuts([x for _, lat, _ in runs for x in lat])
                fails = sum(len(f) for _, _, f in runs)
                failed |= fails > 0
                ratio = "" if target.name == "sqlite" else f"{rate / reference_rate:.2f}"
                print(f"{scenario:>8} {n:>7} {target.name:>9} {rate:>9.1f} {p50:>7.1f} "
                      f"{p95:>7.1f} {p99:>7.1f}        {ratio}"
                      + (f"  ({fails} not 200)" if fails else ""))
        print("goal (issue 12, point 4): app ≥ 300 writes/s at 8 and at 32 clients, "
              "p95 ≤ 60 ms at 8")
        return 1 if failed else 0
    finally:
        for target in servers:
            target.stop()
        if args.keep:
            print(f"data kept in {folder}", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
