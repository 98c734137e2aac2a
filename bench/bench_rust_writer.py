"""Would a native xlsx writer close the gap to formpack? The export's rows written by
XlsxWriter (what ``exports/xlsx.py`` does) and by rustpy-xlsxwriter, in one process.

    /work/main/.venv/bin/python -m bench.bench_rust_writer [--size 1000] [--runs 2]

rustpy-xlsxwriter is not a dependency of the project (see docs/performance.md, "The
writer", for why). To measure it, install its wheel beside the project, not into it::

    /work/main/.venv/bin/pip install --target /tmp/rpxlib rustpy-xlsxwriter==0.8.0
    PYTHONPATH=/tmp/rpxlib /work/main/.venv/bin/python -m bench.bench_rust_writer

The same generated inspections as :mod:`bench.bench_export` (a TinyDB store filled once
in a temporary folder) go through ``services.exports.report``; then, interleaved:

* **xlsxwriter**: ``exports.xlsx.write(report, file)`` — the project's writer;
* **rust**: the same report's rows (read, scored and built the same way) as one list of
  dicts per sheet, written with ``rustpy_xlsxwriter.write_worksheets`` with a format per
  column, frozen header, autofilter and a bold header — fewer features than the
  project's writer (no per-cell formats, no row styles), so a lower bound.

Reported: wall and CPU seconds of each run, and for the rust runs how much of it is
building the rows and how much the writing. Start-up (about 0,4 s) is not included.
"""
from __future__ import annotations

import argparse
import gc
import os
import tempfile
import time
from pathlib import Path

from bench.bench_export import fill

#: Number formats by column type, one per column (the native writer has no per-cell ones).
RUST_FORMATS = {"integer": "#,##0", "points": "#,##0.##", "percent": "0.00%",
                "date": "dd/mm/yyyy"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=2, help="pairs (interleaved)")
    args = parser.parse_args()
    try:
        import rustpy_xlsxwriter as rx
    except ImportError:
        raise SystemExit("rustpy_xlsxwriter is not importable: see this module's docstring") from None
    with tempfile.TemporaryDirectory(prefix="bench-rust-") as tmp:
        data = Path(tmp) / "data"
        fill(data, args.size)
        os.environ["INSPECT_DATA_DIR"] = str(data)
        from inspect_app import create_app
        from inspect_app.cli.export import CLI_ACTOR
        from inspect_app.domain.access import Scope
        from inspect_app.exports import xlsx
        from inspect_app.services import exports as export_service

        app = create_app()
        store = app.extensions["store"]
        filters = export_service.validate_filters(
            store, app.extensions["checklists"], period=None, checklist=None, units=(),
            kind=None, include_drafts=False)

        def report():
            return export_service.report(
                store, Scope(user=CLI_ACTOR), filters, locale="vi",
                timezone="Asia/Ho_Chi_Minh", photo_url=lambda r, p: f"http://x/{r}/{p}")

        def with_xlsxwriter() -> str:
            xlsx.write(report(), Path(tmp) / "a.xlsx")
            return ""

        def with_rust() -> str:
            rep = report()
            started = time.perf_counter()
            headers = {}
            for sheet in rep.sheets:  # dict keys must be distinct
                names: list[str] = []
                for column in sheet.columns:
                    name = column.header
                    while name in names:
                        name += "\u200b"
                    names.append(name)
                headers[sheet.key] = names
            rows: dict[str, list[dict]] = {sheet.key: [] for sheet in rep.sheets}
            for key, row in rep.rows():
                rows[key].append(dict(zip(headers[key], row.cells)))
            built = time.perf_counter()
            formats = {}
            for sheet in rep.sheets:
                per_column = {}
                for column, name in zip(sheet.columns, headers[sheet.key]):
                    fmt = rx.Format().set_align("top")
                    if column.type == "wrap":
                        fmt = fmt.set_text_wrap()
                    if column.type in RUST_FORMATS:
                        fmt = fmt.set_num_format(RUST_FORMATS[column.type])
                    per_column[name] = fmt
                formats[sheet.title[:31]] = per_column
            rx.write_worksheets(
                [(sheet.title[:31], rows[sheet.key]) for sheet in rep.sheets],
                str(Path(tmp) / "b.xlsx"), freeze_panes={"general": {"row": 1, "col": 0}},
                column_formats=formats, autofilter={"general": True},
                header_format={"general": rx.Format().set_bold().set_text_wrap()})
            return (f"(rows {built - started:.2f} s, "
                    f"writing {time.perf_counter() - built:.2f} s)")

        print(f"{args.size} inspections, {args.runs} interleaved pairs, in one process")
        for n in range(args.runs):
            pair = [("xlsxwriter", with_xlsxwriter), ("rust", with_rust)]
            for name, run in (pair if n % 2 == 0 else pair[::-1]):
                gc.collect()
                wall, cpu = time.perf_counter(), time.process_time()
                extra = run()
                print(f"  run {n + 1} {name:<10} {time.perf_counter() - wall:6.2f} s wall "
                      f"{time.process_time() - cpu:6.2f} s CPU {extra}", flush=True)


if __name__ == "__main__":
    main()
