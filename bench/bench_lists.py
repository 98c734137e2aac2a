"""Do the list pages cost the same with 1.000, 10.000 and 100.000 records?

    /work/main/.venv/bin/python -m bench.bench_lists [--sizes 1000,10000,100000] [--requests 40]

For each size a TinyDB store on a temporary folder is filled directly through the store
(``import_inspections``, not durable, one ``os.sync``): that many finalized inspections
of ``cchc-xa`` over the same 120 units, with scores and 0–5 remediation items each (a
third of them overdue). Then the app serves, in-process through Flask's test client, as
an administrator: the home page, the inspections list (page 1, page 20, a filter with a
search), the remediation page and the unit list; and as a commune officer its home, its
list and its plan. Units and users lists get their own stores of the same sizes (that
many units, that many users). Each page is requested ``--requests`` times after one
warm-up request (the warm-up builds the in-memory views of the index and is reported
on its own as "cold"); the table gives server time p50/p95 in milliseconds and the
bytes of HTML sent, and the last lines the p50 ratio of the largest size over the
smallest (goal ≤ 1,5) and the home page at 10.000 (goal ≤ 30 ms).

With ``--database-url URL`` (or ``INSPECT_TEST_DATABASE_URL``, as ``.ci/postgres`` sets
it) the same stores are PostgreSQL databases (the database is emptied before each fill;
issue 16, point 6)::

    .ci/postgres .venv/bin/python -m bench.bench_lists --postgres --sizes 1000,100000
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from inspect_app import create_app
from inspect_app.domain.models import Inspection, RemediationItem, TeamMember, Unit, User
from inspect_app.services import accounts
from inspect_app.services import inspections as service
from inspect_app.storage import new_id
from inspect_app.storage.files import FileCache, transaction

UNITS = 120
PASSWORD = "bench-password"
STATUSES = ("open", "in_progress", "done", "verified", "cannot_do", "no_action")


def records(size: int, snapshot: dict, seed: int = 12) -> list[Inspection]:
    """``size`` finalized inspections over ``UNITS`` units: monthly rounds in which every
    unit is inspected once (so the newest round ranks ``UNITS`` units at any size)."""
    rng = random.Random(seed)
    out = []
    for n in range(size):
        iid = new_id()
        unit = f"X{n % UNITS:03d}"
        day = f"{1990 + n // UNITS // 12}-{1 + n // UNITS % 12:02d}-{1 + n % 28:02d}"
        items = [RemediationItem(
            id=f"{iid}-{k + 1}", inspection=iid, unit=unit, criterion=f"1.{k + 1}",
            finding="Chưa niêm yết đầy đủ thủ tục hành chính tại bộ phận một cửa",
            action="Niêm yết bổ sung", owner="Văn phòng UBND xã", status=rng.choice(STATUSES),
            due=f"202{rng.choice((4, 6))}-0{1 + k}-15") for k in range(rng.randint(0, 5))]
        percent = round(rng.uniform(55, 98), 2)
        rounds = n // UNITS  # one round: every unit once, one month after the other
        out.append(Inspection(
            id=iid, unit=unit, checklist=snapshot,
            period=f"{1990 + rounds // 12}-{1 + rounds % 12:02d}",
            kind="inspection", status="finalized", team=[TeamMember("lead", "lead")],
            created_by="lead", created_at=f"{day}T08:{n % 60:02d}:00+07:00",
            finalized_at=f"{day}T16:{n % 60:02d}:00+07:00", items=items,
            score={"total": percent, "max": 100, "percent": percent,
                   "band": "Tốt" if percent >= 80 else "Khá"}))
    return out


#: The PostgreSQL database the stores are made in (empty: TinyDB folders).
DATABASE_URL = ""


def app_on(folder: Path):
    if DATABASE_URL:
        from tests.postgres import empty_database

        empty_database(DATABASE_URL)
    app = create_app({"TESTING": True, "DATA_DIR": str(folder), "SECRET_KEY": "bench",
                      "WTF_CSRF_ENABLED": False, "DATABASE_URL": DATABASE_URL})
    return app


def logged_in(app, username: str):
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    return client


def percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[94]


def measure(client, url: str, count: int) -> tuple[float, float, float, int]:
    """(cold ms, p50 ms, p95 ms, bytes) of ``count`` requests of ``url`` after a warm-up."""
    start = time.perf_counter()
    response = client.get(url)
    cold = (time.perf_counter() - start) * 1000
    assert response.status_code == 200, (url, response.status_code)
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        response = client.get(url)
        response.get_data()
        samples.append((time.perf_counter() - start) * 1000)
    p50, p95 = percentiles(samples)
    return cold, p50, p95, len(response.get_data())


def settle(store) -> None:
    """On PostgreSQL: ``VACUUM ANALYZE`` after the bulk load, what autovacuum does within
    a minute of it (statistics for the planner, the fill's dead row versions removed),
    so that the pages are timed as a server that has run for a while serves them."""
    if DATABASE_URL:
        import psycopg

        with psycopg.connect(store.url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")


def inspection_store(root: Path, size: int):
    folder = root / f"i{size}"
    app = app_on(folder)
    store = app.extensions["store"]
    store.save_units([Unit(f"X{n:03d}", f"Xã Số {n:03d} Đồng Hỷ") for n in range(UNITS)])
    accounts.create_user(store, "admin", "admin", password=PASSWORD)
    accounts.create_user(store, "ua", "unit", unit="X007", password=PASSWORD)
    snapshot = service.snapshot_of(app.extensions["checklists"].get("cchc-xa"))
    start = time.perf_counter()
    batch = records(size, snapshot)
    for k in range(0, size, 5000):  # in batches: bounded memory while writing
        store.import_inspections(batch[k:k + 5000], durable=False)
    print(f"filled {size:>7} inspections in {time.perf_counter() - start:6.1f} s", flush=True)
    settle(store)
    time.sleep(FileCache.RACY_SECONDS)  # files this fresh are never cached (see FileCache)
    return app


def people_store(root: Path, size: int):
    folder = root / f"p{size}"
    app = app_on(folder)
    store = app.extensions["store"]
    store.save_units([Unit(f"U{n:06d}", f"Xã Số {n:06d}") for n in range(size)])
    accounts.create_user(store, "admin", "admin", password=PASSWORD)
    hashed = store.get_user("admin").password_hash
    users = [User(username=f"user{n:06d}", role=("inspector", "viewer", "unit")[n % 3],
                  unit="U000001" if n % 3 == 2 else None, password_hash=hashed,
                  full_name=f"Cán bộ số {n}") for n in range(size - 1)]
    if DATABASE_URL:  # one transaction
        with store.atomic():
            for user in users:
                store.add_user(user)
    else:  # one write for all (add_user rewrites the users file each time)
        with transaction(store.root / "users.json") as db:
            db.table("users", cache_size=0).insert_multiple(
                {**u.to_dict(), "schema": 1} for u in users)
    print(f"filled {size:>7} units and users", flush=True)
    settle(store)
    time.sleep(FileCache.RACY_SECONDS)
    return app


PAGES = [  # (who, url)
    ("admin", "/"),
    ("admin", "/inspections/"),
    ("admin", "/inspections/?page=20"),
    ("admin", "/inspections/?status=finalized&q=so+00"),
    ("admin", "/remediation/"),
    ("admin", "/remediation/?overdue=3#overdue"),
    ("ua", "/"),
    ("ua", "/inspections/"),
    ("ua", "/remediation/"),
]
PEOPLE_PAGES = [("admin", "/units/"), ("admin", "/units/?page=10&q=xa+so"),
                ("admin", "/users/"), ("admin", "/users/?page=10")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000",
                        help="comma-separated store sizes")
    parser.add_argument("--requests", type=int, default=40, help="timed requests per page")
    parser.add_argument("--postgres", action="store_true",
                        help="PostgreSQL stores in INSPECT_TEST_DATABASE_URL (or --database-url)")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    global DATABASE_URL
    if args.postgres or args.database_url:
        DATABASE_URL = args.database_url or os.environ.get("INSPECT_TEST_DATABASE_URL", "")
        if not DATABASE_URL:
            parser.error("--postgres needs INSPECT_TEST_DATABASE_URL (run under .ci/postgres)")
    sizes = [int(s) for s in args.sizes.split(",")]
    accounts.PASSWORD_METHOD = "scrypt:1024:8:1"  # logins are not what is measured
    figures: dict[tuple[str, str], dict[int, tuple[float, float, float, int]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-lists-") as tmp:
        root = Path(tmp)
        for size in sizes:
            for make, pages in ((inspection_store, PAGES), (people_store, PEOPLE_PAGES)):
                app = make(root, size)
                clients = {who: logged_in(app, who) for who in {w for w, _u in pages}}
                for who, url in pages:
                    figures.setdefault((who, url), {})[size] = measure(
                        clients[who], url, args.requests)
                del app, clients
    where = "PostgreSQL" if DATABASE_URL else "TinyDB"
    print(f"\nserver time in ms (in-process, test client, {where}), {args.requests} requests "
          "per page")
    head = "  ".join(f"{'cold':>7} {'p50':>6} {'p95':>6} {'KB':>5}" for _ in sizes)
    print(f"{'page':<46}" + "  ".join(f"{f'— {s:,} —':^27}" for s in sizes))
    print(f"{'':<46}{head}")
    for (who, url), by_size in figures.items():
        cells = "  ".join(f"{c:7.1f} {p50:6.1f} {p95:6.1f} {b / 1024:5.0f}"
                          for c, p50, p95, b in (by_size[s] for s in sizes))
        print(f"{who + ' ' + url:<46}{cells}")
    small, big = sizes[0], sizes[-1]
    print(f"\np50 ratio {big:,} : {small:,} (goal ≤ 1,5)")
    for (who, url), by_size in figures.items():
        print(f"  {who + ' ' + url:<44} {by_size[big][1] / by_size[small][1]:5.2f}")
    if 10_000 in sizes:
        home = figures[("admin", "/")][10_000]
        print(f"\nhome page at 10,000: p50 {home[1]:.1f} ms, p95 {home[2]:.1f} ms (goal ≤ 30 ms)")


if __name__ == "__main__":
    main()
