"""Does saving one answer cost the same with 10 or 10,000 stored inspections?

    /work/main/.venv/bin/python -m bench.bench_storage [--updates 300] [--runs 3]
        [--database-url postgresql://…]

Two stores on temporary folders of the same disk, one with 10 inspections and one
with 10,000 (over 100 units), filled once; then each run times ``update_inspection``
adding one answer, round-robin over 10 inspections of each store (built alike, so
only the store size differs); p50 and p95 in milliseconds. Also printed, for context: a bare
4 KB atomic write (temporary file, fsync, replace, fsync of the folder) — the floor
set by the disk — and updates that change an inspection's summary (the rare path that
also rewrites an index shard). fsync latency is noisy on shared disks, so with
``--runs`` > 1 the table ends with the median over runs of each figure. With
``--database-url`` the two stores are PostgreSQL stores in two schemas of that database
(``bench_10``, ``bench_10000``, made and dropped by the run; the database is not
otherwise touched).
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from inspect_app.domain.models import Answer, Inspection, TeamMember
from inspect_app.storage import new_id
from inspect_app.storage.tinydb_store import TinyDBStore, write_atomic

CRITERIA = 60  # a checklist of realistic size: the snapshot travels inside each inspection


def checklist_snapshot() -> dict:
    """A frozen checklist of ``CRITERIA`` yes/no criteria (about 12 KB of JSON)."""
    criteria = [{"id": f"c{n}", "type": "yesno", "points": 1,
                 "text": f"Tiêu chí {n}: niêm yết công khai thủ tục hành chính đúng quy định"}
                for n in range(CRITERIA)]
    return {"id": "cchc", "version": "2025.1", "hash": "0" * 64, "title": "Kiểm tra CCHC",
            "data": {"sections": [{"id": "s1", "title": "Công tác chỉ đạo, điều hành",
                                   "criteria": criteria}]}}


def make_inspection(n: int, units: int) -> Inspection:
    """Inspection ``n`` (random id, as in production) with a third of its criteria answered."""
    answers = {f"c{k}": Answer(rev=1, value=True, note="Đạt", by="thanh", at="2025-04-07T08:00:00")
               for k in range(0, CRITERIA, 3)}
    return Inspection(id=new_id(), unit=f"X{n % units:03d}", period="2025", kind="inspection",
                      checklist=checklist_snapshot(), answers=answers,
                      team=[TeamMember("thanh", "lead", "Nguyễn Văn Thành")],
                      created_by="thanh", created_at=f"2025-01-01T00:00:{n % 60:02d}")


def percentiles(samples: list[float]) -> tuple[float, float]:
    """(p50, p95) of ``samples``."""
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[94]


def timed(op: Callable[[int], object], count: int) -> list[float]:
    """Milliseconds of each of ``count`` calls ``op(k)``."""
    out = []
    for k in range(count):
        start = time.perf_counter()
        op(k)
        out.append((time.perf_counter() - start) * 1000)
    return out


def answer_updates(store: TinyDBStore, targets: list[str], count: int, tag: str) -> list[float]:
    """Add one answer per call, round-robin over ``targets``."""
    def op(k: int) -> None:
        def change(inspection: Inspection) -> None:
            inspection.answers[f"{tag}{k}"] = Answer(rev=1, value=True, by="thanh")
        store.update_inspection(targets[k % len(targets)], change)
    return timed(op, count)


def summary_updates(store: TinyDBStore, targets: list[str], count: int) -> list[float]:
    """Flip a status, which changes the summary and so rewrites an index shard too."""
    def op(k: int) -> None:
        def change(inspection: Inspection) -> None:
            inspection.status = "finalized" if inspection.status == "draft" else "draft"
        store.update_inspection(targets[k % len(targets)], change)
    return timed(op, count)


def bare_writes(folder: Path, count: int) -> list[float]:
    """A 4 KB :func:`write_atomic`: the cost of durability on this disk, nothing else."""
    data = b"x" * 4096
    return timed(lambda k: write_atomic(folder / "bare.json", data), count)


def open_bench_store(root: Path, size: int, url: str):
    """A TinyDB store in ``root``, or (``url``) a PostgreSQL store in schema bench_<size>."""
    if not url:
        return TinyDBStore(root / f"s{size}")
    import psycopg

    from inspect_app.storage.postgres_store import PostgresStore, in_schema

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS bench_{size} CASCADE")
        conn.execute(f"CREATE SCHEMA bench_{size}")
    return PostgresStore(in_schema(url, f"bench_{size}"), root / f"s{size}")


def drop_bench_schemas(url: str, sizes: list[int]) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for size in sizes:
            conn.execute(f"DROP SCHEMA IF EXISTS bench_{size} CASCADE")


def fill(root: Path, size: int, units: int, url: str = "") -> tuple[TinyDBStore, list[str]]:
    """A store of ``size`` inspections over ``units`` units, and the ids of its first 10."""
    store = open_bench_store(root, size, url)
    batch = [make_inspection(n, units) for n in range(size)]
    start = time.perf_counter()
    store.import_inspections(batch, durable=False)
    print(f"filled {size:>6} inspections in {time.perf_counter() - start:5.1f} s")
    targets = [i.id for i in batch[:10]]
    answer_updates(store, targets, 20, "warm")  # first touches create the lock files
    return store, targets


def one_run(stores: dict[int, tuple[TinyDBStore, list[str]]], root: Path, updates: int,
            tag: str) -> dict[str, tuple[float, float]]:
    """Every figure of one run: name -> (p50, p95) in ms. Both stores are measured in
    the same run, one after the other, so slow phases of the disk hit both alike."""
    figures = {"bare 4 KB atomic write": percentiles(bare_writes(root, updates))}
    for size, (store, targets) in stores.items():
        figures[f"answer save, {size} inspections"] = percentiles(
            answer_updates(store, targets, updates, tag))
    for size, (store, targets) in stores.items():
        figures[f"summary change, {size} inspections"] = percentiles(
            summary_updates(store, targets, max(20, updates // 10)))
    return figures


def ratio(figures: dict[str, tuple[float, float]]) -> float:
    """p95 of an answer save with 10,000 inspections over p95 with 10."""
    return figures["answer save, 10000 inspections"][1] / figures["answer save, 10 inspections"][1]


def print_table(title: str, figures: dict[str, tuple[float, float]]) -> None:
    print(f"\n{title}")
    print(f"  {'operation':<36} {'p50 ms':>8} {'p95 ms':>8}")
    for name, (p50, p95) in figures.items():
        print(f"  {name:<36} {p50:>8.2f} {p95:>8.2f}")
    small, big = figures["answer save, 10 inspections"], figures["answer save, 10000 inspections"]
    print(f"  answer save 10,000 : 10 -- p95 ratio {ratio(figures):.2f}, "
          f"p50 ratio {big[0] / small[0]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--updates", type=int, default=300, help="answer saves per store and run")
    parser.add_argument("--runs", type=int, default=3, help="repeat the measurements; report medians")
    parser.add_argument("--database-url", default="",
                        help="measure the PostgreSQL store in this database instead")
    args = parser.parse_args()
    try:
        measure(args)
    finally:
        if args.database_url:
            drop_bench_schemas(args.database_url, [10, 10_000])


def measure(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
        root = Path(tmp)
        stores = {10: fill(root, 10, 10, args.database_url),
                  10_000: fill(root, 10_000, 100, args.database_url)}
        runs = []
        for n in range(args.runs):
            runs.append(one_run(stores, root, args.updates, f"r{n}-"))
            print_table(f"run {n + 1} of {args.runs}", runs[-1])
    if args.runs > 1:
        median = {name: (statistics.median(r[name][0] for r in runs),
                         statistics.median(r[name][1] for r in runs)) for name in runs[0]}
        print_table(f"median of {args.runs} runs (per figure)", median)
        print(f"  median of the per-run p95 ratios: {statistics.median(ratio(r) for r in runs):.2f}")


if __name__ == "__main__":
    main()
