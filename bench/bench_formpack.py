"""This project's Excel export side by side with KoboToolbox's exporter (formpack).

    /work/main/.venv/bin/python -m bench.bench_formpack [--sizes 1000 5000 10000] [--runs 3]
        [--formpack-python /tmp/fpvenv/bin/python]

For each size, the same generated inspections as :mod:`bench.bench_export` (finalized
``cchc-xa``, 100 communes, notes on about a fifth of the answers, a few photos, 0–3
remediation items each; issue 12 asked for 0–5, the generator keeps at most three) are
stored in a TinyDB store, and written once more as one JSON submission a line in the
shape formpack reads: one question per figure of a criterion (a ratio's inputs, a count,
a yes/no or choice, a score), a note and a photo question per criterion, the record's
unit, period, score, band, and a repeat group ``items`` with the remediation items.

Then, interleaved (the order of the pair alternates from run to run), each in a fresh
process:

* **this project**: ``flask --app inspect_app export --out FILE`` (the real command,
  start-up included; ``--all-criteria`` too with ``--all-criteria``);
* **formpack**: a process that imports formpack, builds the FormPack of the
  equivalent XLSForm and calls ``export().to_xlsx(FILE, submissions)`` with the
  submissions read line by line from the JSON file (start-up included).

Reported per size: the median wall and CPU seconds of each, the ratio of each pair
(this project : formpack) and its median, the peak RSS of each process
(``ru_maxrss`` from ``os.wait4``), and the cells of each sheet of both workbooks
(``<c`` elements counted in the sheet XML).

formpack is not on PyPI. Without ``--formpack-python`` (or when that interpreter cannot
import formpack) only this project's figures are reported. To install it in its own
environment (see docs/performance.md)::

    git clone https://github.com/kobotoolbox/formpack /tmp/formpack
    python3 -m venv /tmp/fpvenv && /tmp/fpvenv/bin/pip install /tmp/formpack python-dateutil
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from bench.bench_export import CHECKLIST, PROJECT, fill

FORMPACK_CHILD = r'''
import json, sys, time
started = time.perf_counter()
from formpack import FormPack
form_file, data_file, out = sys.argv[1:4]
with open(form_file, encoding="utf-8") as f:
    content = json.load(f)
pack = FormPack([{"content": content, "version": "v1"}], title="Kiem tra CCHC xa")
export = pack.export(versions=pack.versions.keys())
def submissions():
    with open(data_file, encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)
export.to_xlsx(out, submissions())
print(json.dumps({"seconds": time.perf_counter() - started}))
'''


def name_of(criterion_id: str, suffix: str = "") -> str:
    """An XML name for a criterion's question: ``1.2`` → ``c1_2``."""
    return "c" + criterion_id.replace(".", "_") + (f"_{suffix}" if suffix else "")


def xlsform(checklist) -> dict:
    """The XLSForm (formpack's JSON form of it) equivalent to the checklist's records."""
    survey = [{"type": "text", "name": n, "label": n} for n in
              ("unit", "unit_name", "period", "kind", "status")]
    survey += [{"type": "decimal", "name": n, "label": n} for n in ("total", "max", "percent")]
    survey.append({"type": "text", "name": "band", "label": "band"})
    choices = [{"list_name": "yn", "name": v, "label": v} for v in ("yes", "no")]
    for c in checklist.criteria:
        if c.inputs:
            survey += [{"type": "integer", "name": name_of(c.id, i.id), "label": f"{c.text} {i.label}"}
                       for i in c.inputs]
        elif c.type == "yesno":
            survey.append({"type": "select_one yn", "name": name_of(c.id), "label": c.text})
        elif c.type in ("choice", "multi"):  # multi: XLSForm's select_multiple
            select = "select_one" if c.type == "choice" else "select_multiple"
            survey.append({"type": f"{select} l{name_of(c.id)}", "name": name_of(c.id),
                           "label": c.text})
            choices += [{"list_name": f"l{name_of(c.id)}", "name": o.value, "label": o.label}
                        for o in c.options]
        else:
            survey.append({"type": "decimal", "name": name_of(c.id), "label": c.text})
        survey.append({"type": "text", "name": name_of(c.id, "note"), "label": "Ghi chú"})
        survey.append({"type": "image", "name": name_of(c.id, "photo"), "label": "Ảnh"})
    survey.append({"type": "begin repeat", "name": "items", "label": "Kế hoạch khắc phục"})
    survey += [{"type": "text", "name": n, "label": n} for n in
               ("criterion", "finding", "cause", "action", "owner", "cooperating")]
    survey.append({"type": "date", "name": "due", "label": "due"})
    survey += [{"type": "text", "name": n, "label": n} for n in
               ("output", "status", "progress", "reason")]
    survey.append({"type": "end repeat"})
    return {"survey": survey, "choices": choices}


def submission(record: dict, unit_names: dict, checklist) -> dict:
    """A record as a formpack submission of :func:`xlsform`."""
    score = record.get("score") or {}
    out = {"unit": record["unit"], "unit_name": unit_names.get(record["unit"], ""),
           "period": record["period"], "kind": record["kind"], "status": record["status"],
           "total": score.get("total"), "max": score.get("max"),
           "percent": score.get("percent"), "band": score.get("band"),
           "meta/instanceID": "uuid:" + record["id"], "_id": record["id"], "__version__": "v1"}
    for c in checklist.criteria:
        answer = (record.get("answers") or {}).get(c.id)
        if not answer:
            continue
        if c.inputs:
            for i in c.inputs:
                value = (answer.get("inputs") or {}).get(i.id)
                if value is not None:
                    out[name_of(c.id, i.id)] = value
        elif answer.get("value") is not None:
            value = answer["value"]
            if isinstance(value, bool):
                value = "yes" if value else "no"
            elif isinstance(value, list):  # select_multiple: the values, space-separated
                value = " ".join(str(v) for v in value)
            out[name_of(c.id)] = value
        if answer.get("note"):
            out[name_of(c.id, "note")] = answer["note"]
        if answer.get("photos"):
            out[name_of(c.id, "photo")] = answer["photos"][0] + ".jpg"
    out["items"] = [{
        **{f"items/{k}": item.get(k) or "" for k in
           ("criterion", "finding", "cause", "action", "owner", "cooperating", "output",
            "status", "reason")},
        "items/due": item.get("due") or "",
        "items/progress": "\n".join(p.get("note", "") for p in item.get("progress") or []),
    } for item in record.get("items") or []]
    return out


def write_formpack_input(data: Path, folder: Path) -> tuple[Path, Path]:
    """The XLSForm and the submissions (JSON lines) of the store in ``data``."""
    from inspect_app.storage.checklist_files import load_file
    from inspect_app.storage.tinydb_store import TinyDBStore

    checklist = load_file(CHECKLIST)
    store = TinyDBStore(data)
    unit_names = {u.code: u.name for u in store.list_units()}
    ids = [s.id for s in store.list_inspections()]
    form, rows = folder / "form.json", folder / "submissions.jsonl"
    form.write_text(json.dumps(xlsform(checklist), ensure_ascii=False), encoding="utf-8")
    with rows.open("w", encoding="utf-8") as f:
        for record in store.iter_export_records(ids):
            f.write(json.dumps(submission(record, unit_names, checklist), ensure_ascii=False))
            f.write("\n")
    return form, rows


def run(args: list[str], env: dict[str, str]) -> dict:
    """Wall and CPU seconds and peak RSS (MB) of one child process."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as captured:
        process = subprocess.Popen(args, stdout=captured, stderr=subprocess.STDOUT, env=env,
                                   cwd=PROJECT)
        _pid, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        captured.seek(0)
        output = captured.read().decode("utf-8", "replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{output[-3000:]}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss": usage.ru_maxrss / 1024}


CELL = re.compile(rb"<c[ >]")


def cells_per_sheet(path: Path) -> dict[str, int]:
    """``<c`` elements of each worksheet of an .xlsx file, by sheet name."""
    with zipfile.ZipFile(path) as book:
        names = re.findall(rb'<sheet [^>]*name="([^"]*)"', book.read("xl/workbook.xml"))
        out = {}
        for n, name in enumerate(names, start=1):
            with book.open(f"xl/worksheets/sheet{n}.xml") as sheet:
                count, tail = 0, b""
                while chunk := sheet.read(1 << 20):
                    count += len(CELL.findall(tail + chunk))
                    tail = chunk[-2:]
                    count -= len(CELL.findall(tail))  # counted again with the next chunk
                count += len(CELL.findall(tail))
                out[name.decode("utf-8")] = count
    return out


def formpack_ready(python: str | None) -> bool:
    if not python:
        return False
    try:
        return subprocess.run([python, "-c", "import formpack"], capture_output=True,
                              timeout=60).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--runs", type=int, default=3, help="pairs per size (interleaved)")
    parser.add_argument("--formpack-python", default=os.environ.get("FORMPACK_PYTHON"),
                        help="an interpreter that can import formpack (e.g. /tmp/fpvenv/bin/python)")
    parser.add_argument("--all-criteria", action="store_true",
                        help="export with --all-criteria (one findings row per criterion)")
    parser.add_argument("--keep", metavar="DIR", help="fill (or reuse) the stores in DIR")
    args = parser.parse_args()
    with_formpack = formpack_ready(args.formpack_python)
    if not with_formpack:
        print("formpack not available: only this project's figures (see --formpack-python)")
    flask = str(Path(sys.executable).with_name("flask"))
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-formpack-") as tmp:
        base = Path(args.keep) if args.keep else Path(tmp)
        for size in args.sizes:
            data = base / f"s{size}"
            if not (data / "store").is_dir():
                fill(data, size)
            folder = Path(tmp) / f"fp{size}"
            folder.mkdir()
            form, rows = write_formpack_input(data, folder) if with_formpack else (None, None)
            env = {**os.environ, "INSPECT_DATA_DIR": str(data)}
            ours_out, theirs_out = folder / "ours.xlsx", folder / "formpack.xlsx"
            ours_cmd = [flask, "--app", "inspect_app", "export", "--out", str(ours_out)]
            if args.all_criteria:
                ours_cmd.append("--all-criteria")
            theirs_cmd = [args.formpack_python, "-c", FORMPACK_CHILD, str(form), str(rows),
                          str(theirs_out)]
            ours, theirs = [], []
            for n in range(args.runs):
                pair = [("ours", ours_cmd), ("formpack", theirs_cmd)] if with_formpack else [
                    ("ours", ours_cmd)]
                if n % 2:
                    pair.reverse()
                for who, command in pair:
                    figures = run(command, env)
                    (ours if who == "ours" else theirs).append(figures)
                    print(f"  {size:>6} run {n + 1} {who:<8} {figures['wall']:6.2f} s wall "
                          f"{figures['cpu']:6.2f} s CPU {figures['rss']:6.1f} MB", flush=True)
            row = {"size": size, "ours": ours, "theirs": theirs,
                   "ours_cells": cells_per_sheet(ours_out),
                   "theirs_cells": cells_per_sheet(theirs_out) if with_formpack else {}}
            results.append(row)
    print(f"\ncommands: {' '.join(ours_cmd[:4])} --out FILE.xlsx"
          f"{' --all-criteria' if args.all_criteria else ''}  |  formpack "
          f"export().to_xlsx (XlsxWriter constant_memory); {args.runs} interleaved pairs")
    median = statistics.median
    print(f"{'records':>7} {'ours s':>7} {'fp s':>7} {'ratio':>6} {'ratios':>18} "
          f"{'ours CPU':>8} {'fp CPU':>7} {'ours MB':>8} {'fp MB':>6} {'ours cells':>10} "
          f"{'fp cells':>9}")
    for r in results:
        ours_wall = median(x["wall"] for x in r["ours"])
        line = f"{r['size']:>7,} {ours_wall:>7.2f} "
        if r["theirs"]:
            ratios = [a["wall"] / b["wall"] for a, b in zip(r["ours"], r["theirs"])]
            line += (f"{median(x['wall'] for x in r['theirs']):>7.2f} {median(ratios):>6.2f} "
                     f"{' '.join(f'{x:.2f}' for x in ratios):>18} ")
        else:
            line += f"{'-':>7} {'-':>6} {'-':>18} "
        line += f"{median(x['cpu'] for x in r['ours']):>8.2f} "
        line += (f"{median(x['cpu'] for x in r['theirs']):>7.2f} " if r["theirs"] else f"{'-':>7} ")
        line += f"{max(x['rss'] for x in r['ours']):>8.1f} "
        line += (f"{max(x['rss'] for x in r['theirs']):>6.1f} " if r["theirs"] else f"{'-':>6} ")
        line += f"{sum(r['ours_cells'].values()):>10,} "
        line += f"{sum(r['theirs_cells'].values()):>9,}" if r["theirs"] else f"{'-':>9}"
        print(line)
    for r in results:
        print(f"cells per sheet at {r['size']:,}: ours {r['ours_cells']}"
              + (f"; formpack {r['theirs_cells']}" if r["theirs_cells"] else ""))


if __name__ == "__main__":
    main()
