"""How long does the Excel export take, and does its memory stay flat as the data grows?

    /work/main/.venv/bin/python -m bench.bench_export [--sizes 1000 10000] [--tracemalloc]

For each size, a TinyDB store on a temporary folder gets 100 communes and that many
finalized inspections of the shipped ``checklists/cchc-xa.yaml`` (57 criteria):
generated answers with notes and a few photo references, the frozen score card of
``domain.scoring.score`` and up to three remediation items each. Then, in fresh
processes (so nothing is cached or already imported):

* ``flask --app inspect_app export --out …`` — the real command, end to end; wall
  time and peak RSS (``ru_maxrss`` of that child, from ``os.wait4``);
* ``python -m bench.bench_export --child …`` — the same export inside one process
  that reports its own ``getrusage(RUSAGE_SELF).ru_maxrss`` after start-up and at
  the end, and the export's own wall time (build + write, imports excluded).
  With ``--tracemalloc`` a third run reports the peak of Python allocations
  (slower: tracemalloc traces every allocation).

With ``--stores tinydb,postgres`` the same data is also copied into a PostgreSQL
database (``store copy``'s code; ``--database-url`` or ``INSPECT_TEST_DATABASE_URL``,
emptied first) and exported from there too, right after the TinyDB run (issue 16,
point 6)::

    .ci/postgres .venv/bin/python -m bench.bench_export --sizes 10000 --stores tinydb,postgres

Goals: 1,000 inspections in under 3 s and 150 MB; with 10,000 the peak stays close
to the 1,000 figure (the export streams; the row count grows, memory does not).
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from inspect_app.domain.checklist import Checklist
from inspect_app.domain.models import Answer, Inspection, PhotoRef, ProgressNote, TeamMember, Unit
from inspect_app.domain.remediation import generate_items
from inspect_app.domain.scoring import score
from inspect_app.i18n import formatting
from inspect_app.services.demo import generated_answer
from inspect_app.services.inspections import snapshot_of
from inspect_app.storage import new_id
from inspect_app.storage.checklist_files import load_file
from inspect_app.storage.tinydb_store import TinyDBStore

PROJECT = Path(__file__).resolve().parent.parent
CHECKLIST = PROJECT / "checklists" / "cchc-xa.yaml"
UNITS = 100
BATCH = 500  # inspections held in memory at once while filling
NOTES = ("Đã kiểm tra hồ sơ, sổ theo dõi tại Bộ phận một cửa",
         "Chưa niêm yết đầy đủ thủ tục hành chính", "=SUM(A1:A9) ghi chú thử",
         "KH số 06/KH-UBND ngày 18/01/2023")


def make_inspection(n: int, checklist: Checklist, snapshot: dict, rng: random.Random) -> Inspection:
    """Finalized inspection ``n``: unit ``n % UNITS``, one period per hundred units."""
    at = "2025-03-01T02:30:00+00:00"
    answers = {}
    photos = {}
    for criterion in checklist.criteria:
        content = generated_answer(criterion, rng, 0.8)
        if content is None:
            continue
        answer = Answer(rev=1, value=content.get("value"), inputs=content.get("inputs"),
                        note=rng.choice(NOTES) if rng.random() < 0.2 else "", by="thanhtra1", at=at)
        if rng.random() < 0.05:
            photo_id = new_id()
            answer.photos.append(photo_id)
            photos[photo_id] = PhotoRef(id=photo_id, by="thanhtra1", at=at, criterion=criterion.id)
        answers[criterion.id] = answer
    inspection = Inspection(
        id=new_id(), unit=f"X{n % UNITS:03d}", checklist=snapshot, period=str(2000 + n // UNITS),
        kind="inspection", status="finalized", answers=answers, photos=photos,
        team=[TeamMember("thanhtra1", "lead", "Nguyễn Ánh Xuân")], created_by="thanhtra1",
        created_at=at, updated_at=at, finalized_at=at, finalized_by="thanhtra1")
    card = score(checklist, inspection.answers_content())
    inspection.score = card.as_dict()
    items = generate_items(inspection, checklist, card, include_unanswered=False,
                           finalized_on=_dt.date(2025, 3, 1), at=at, by="thanhtra1",
                           number_text=formatting.number)[:3]
    if items:
        items[0].progress.append(ProgressNote(at="2025-03-20T03:00:00+00:00", by="xa",
                                              note="Đã ban hành kế hoạch khắc phục",
                                              status="in_progress"))
        items[0].status = "in_progress"
    inspection.items = items
    return inspection


def fill(folder: Path, size: int) -> None:
    """A store of ``size`` finalized inspections over :data:`UNITS` communes."""
    checklist = load_file(CHECKLIST)
    snapshot = snapshot_of(checklist)
    store = TinyDBStore(folder)
    store.save_units(Unit(f"X{k:03d}", f"Xã Thử Nghiệm {k:03d}") for k in range(UNITS))
    rng = random.Random(size)
    start = time.perf_counter()
    for first in range(0, size, BATCH):
        store.import_inspections((make_inspection(n, checklist, snapshot, rng)
                                  for n in range(first, min(first + BATCH, size))), durable=False)
    print(f"filled {size:>6} inspections in {time.perf_counter() - start:6.1f} s", flush=True)


def to_postgres(folder: Path, url: str) -> None:
    """Empty the database at ``url`` and copy the TinyDB store in ``folder`` into it."""
    from inspect_app.storage.copy import copy_store
    from inspect_app.storage.postgres_store import PostgresStore
    from tests.postgres import empty_database

    empty_database(url)
    start = time.perf_counter()
    target = PostgresStore(url, folder.with_name(folder.name + "-pg"))
    report = copy_store(TinyDBStore(folder), target)
    target.close()
    print(f"copied into PostgreSQL in {time.perf_counter() - start:6.1f} s: {report.copied}",
          flush=True)


def child(data_dir: str, out: str, trace: bool, all_criteria: bool = False) -> None:
    """Run one export in this (fresh) process and print its figures as JSON."""
    started = time.perf_counter()
    from inspect_app import create_app
    from inspect_app.cli.export import CLI_ACTOR
    from inspect_app.domain.access import Scope
    from inspect_app.exports import xlsx
    from inspect_app.services import exports
    from inspect_app.web.exports import photo_links

    app = create_app({"DATA_DIR": data_dir,
                      "DATABASE_URL": os.environ.get("INSPECT_DATABASE_URL", "")})
    ready, ready_cpu = time.perf_counter(), time.process_time()
    rss_ready = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if trace:
        import tracemalloc
        tracemalloc.start()
    with app.test_request_context(base_url="http://127.0.0.1:5000"):
        photo_url = photo_links()
    report = exports.report(app.extensions["store"], Scope(user=CLI_ACTOR), exports.Filters(),
                            locale="vi", photo_url=photo_url, all_criteria=all_criteria)
    counts = xlsx.write(report, out)
    done = time.perf_counter()
    figures = {"startup_s": ready - started, "export_s": done - ready,
               "export_cpu_s": time.process_time() - ready_cpu,
               "rss_ready_mb": rss_ready / 1024,
               "rss_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
               "rows": sum(counts.values()), "bytes": os.path.getsize(out)}
    if trace:
        figures["traced_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
    print(json.dumps(figures))


def run_child(args: list[str], env: dict[str, str]) -> tuple[float, float, float, str]:
    """Wall seconds, CPU seconds, peak RSS in MB (of that child only) and output of a command."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as captured:
        process = subprocess.Popen(args, stdout=captured, stderr=subprocess.STDOUT, env=env,
                                   cwd=PROJECT)
        _pid, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        captured.seek(0)
        output = captured.read().decode("utf-8", "replace")
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({process.returncode}):\n{output}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--tracemalloc", action="store_true",
                        help="also measure the peak of Python allocations (slower)")
    parser.add_argument("--child", nargs=2, metavar=("DATA_DIR", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--stores", default="tinydb", help="tinydb, postgres or both")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    stores = args.stores.split(",")
    url = args.database_url or os.environ.get("INSPECT_TEST_DATABASE_URL", "")
    if "postgres" in stores and not url:
        parser.error("postgres needs --database-url or INSPECT_TEST_DATABASE_URL "
                     "(run under .ci/postgres)")
    if args.child:
        child(*args.child, trace=args.trace)
        return
    python = sys.executable
    flask = str(Path(python).with_name("flask"))
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        for size in args.sizes:
            data = Path(tmp) / f"s{size}"
            fill(data, size)
            if "postgres" in stores:
                to_postgres(data, url)
            for store in stores:
                env = {**os.environ, "INSPECT_DATA_DIR": str(data)}
                if store == "postgres":
                    env.update(INSPECT_DATABASE_URL=url,
                               INSPECT_DATA_DIR=str(data.with_name(data.name + "-pg")))
                out = Path(tmp) / f"export-{size}-{store}.xlsx"
                command = [flask, "--app", "inspect_app", "export", "--out", str(out)]
                cli_wall, cli_cpu, cli_rss, output = run_child(command, env)
                *_unused, figures = run_child(
                    [python, "-m", "bench.bench_export", "--child", env["INSPECT_DATA_DIR"],
                     str(out)], env)
                row = {"size": size, "store": store, "cli_wall": cli_wall, "cli_cpu": cli_cpu,
                       "cli_rss": cli_rss, **json.loads(figures)}
                if args.tracemalloc:
                    *_unused, traced = run_child(
                        [python, "-m", "bench.bench_export", "--child", env["INSPECT_DATA_DIR"],
                         str(out), "--trace"], env)
                    row["traced_peak_mb"] = json.loads(traced)["traced_peak_mb"]
                results.append(row)
                print(output.rstrip(), flush=True)
    print(f"\ncommand: {' '.join(command[:-1])} FILE.xlsx  (INSPECT_DATA_DIR=<store>)")
    print("CLI: the whole command (start-up included); export: build + write only. "
          "CPU seconds are what the machine's load does not inflate.")
    header = (f"{'inspections':>11} {'store':>8} {'rows':>9} {'MB file':>8} {'CLI s':>7} {'CLI CPU s':>10} "
              f"{'CLI peak MB':>12} {'export s':>9} {'export CPU s':>13} {'RSS ready MB':>13} "
              f"{'RSS peak MB':>12}")
    if args.tracemalloc:
        header += f" {'traced MB':>10}"
    print(header)
    for r in results:
        line = (f"{r['size']:>11,} {r['store']:>8} {r['rows']:>9,} {r['bytes'] / 2**20:>8.1f} {r['cli_wall']:>7.2f} "
                f"{r['cli_cpu']:>10.2f} {r['cli_rss']:>12.1f} {r['export_s']:>9.2f} "
                f"{r['export_cpu_s']:>13.2f} {r['rss_ready_mb']:>13.1f} {r['rss_peak_mb']:>12.1f}")
        if args.tracemalloc:
            line += f" {r['traced_peak_mb']:>10.1f}"
        print(line)


if __name__ == "__main__":
    main()
