"""What does a province's dashboard cost with 1.000 inspections?

    /work/main/.venv/bin/python -m bench.bench_dashboards [--size 1000] [--requests 20]

A TinyDB store on a temporary folder gets ``bench_export``'s province: 100 communes and
``--size`` finalized inspections of the shipped ``cchc-xa`` (57 criteria), one yearly
round of every commune per hundred (2000, 2001, …), each with its frozen score card and
up to three remediation items; plus a finalized self-check of every commune in the last
round (so the self-check vs inspection panel compares 100 pairs). Then, in this process,
as an administrator (every unit):

* ``build`` — ``services.dashboards.build`` of the last round alone (every panel);
* ``page`` — ``GET /dashboards/?…`` through Flask's test client (build + charts + HTML);
* ``xlsx`` — ``GET /dashboards/dashboard.xlsx?…`` (build + the workbook).

Each is run ``--requests`` times after one warm-up (reported as "cold": it loads pandas
and the index views); the table gives the median and p95 in milliseconds.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import random
import statistics
import tempfile
import time
from pathlib import Path

import brotli

from bench import bench_export
from inspect_app import create_app
from inspect_app.domain.access import Scope
from inspect_app.domain.models import User
from inspect_app.services import accounts
from inspect_app.services import dashboards as service
from inspect_app.services.inspections import snapshot_of
from inspect_app.storage import new_id
from inspect_app.storage.checklist_files import load_file
from inspect_app.storage.tinydb_store import TinyDBStore

PASSWORD = "bench-password"


def add_self_checks(folder: Path, size: int) -> str:
    """A finalized self-check of every commune in the last round; returns that period."""
    checklist = load_file(bench_export.CHECKLIST)
    snapshot = snapshot_of(checklist)
    rng = random.Random(size + 1)
    last = (size - 1) // bench_export.UNITS
    records = []
    for n in range(last * bench_export.UNITS, last * bench_export.UNITS + bench_export.UNITS):
        record = bench_export.make_inspection(n, checklist, snapshot, rng)
        record.id, record.kind, record.items = new_id(), "self_check", []
        records.append(record)
    store = TinyDBStore(folder)
    store.import_inspections(records, durable=False)
    return str(2000 + last)


def timed(run, count: int) -> tuple[float, float, float]:
    start = time.perf_counter()
    run()
    cold = (time.perf_counter() - start) * 1000
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1000)
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cold, cuts[49], cuts[94]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "data"
        bench_export.fill(folder, args.size)
        period = add_self_checks(folder, args.size)
        app = create_app({"TESTING": True, "DATA_DIR": str(folder), "SECRET_KEY": "bench",
                          "WTF_CSRF_ENABLED": False})
        store = app.extensions["store"]
        accounts.create_user(store, "boss", "admin", password=PASSWORD)
        client = app.test_client()
        assert client.post("/login", data={"username": "boss", "password": PASSWORD}
                           ).status_code == 302
        query = service.DashboardQuery("cchc-xa", period, "inspection")
        scope = Scope(User("boss", "admin"))
        def build():
            return service.build(store, scope, query, today=_dt.date(2026, 3, 1),
                                 tz="Asia/Ho_Chi_Minh", escalate_after_days=30)

        found = build()
        url = f"?checklist=cchc-xa&period={period}&kind=inspection"
        page = client.get(f"/dashboards/{url}")
        sheet = client.get(f"/dashboards/dashboard.xlsx{url}")
        assert page.status_code == 200 and sheet.status_code == 200
        print(f"\nround {period}: {len(found.league.rows)} units ranked, "
              f"{len(found.trend.periods)} periods in the trend, {len(found.gaps)} gaps, "
              f"{found.remediation.total.needing_action} items; page {len(page.data):,} bytes "
              f"({len(brotli.compress(page.data)):,} with brotli), "
              f"workbook {len(sheet.data):,} bytes")
        print(f"\n{'what':<8} {'cold ms':>9} {'p50 ms':>9} {'p95 ms':>9}")
        for name, run in (("build", build),
                          ("page", lambda: client.get(f"/dashboards/{url}").get_data()),
                          ("xlsx", lambda: client.get(f"/dashboards/dashboard.xlsx{url}")
                           .get_data())):
            cold, p50, p95 = timed(run, args.requests)
            print(f"{name:<8} {cold:>9.1f} {p50:>9.1f} {p95:>9.1f}")


if __name__ == "__main__":
    main()
