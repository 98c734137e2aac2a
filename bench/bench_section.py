"""The section page, server side, in-process (issue 12, point 7: ≤ 10 ms p50 for 16
criteria), with the top of its profile.

    /work/main/.venv/bin/python -m bench.bench_section [--renders 300] [--profile 200]
    /work/main/.venv/bin/python -m bench.bench_section --against DIR [--rounds 5]

A temporary store (100 communes, one inspector, one fully answered ``cchc-xa``
inspection: :func:`bench.bench_autosave.build_store`) and Flask's test client (no
network): GET of the section pages III (16 criteria) and I (10), ``--renders`` times
each after a warm-up, p50/p95 of the whole request as a section is mostly seen (the
record's score card and its criteria's cards already drawn for the content shown)
and cold (those kept renderings dropped before each request), interleaved. Then
``--profile`` renders of section III under cProfile: the functions with the most
time of their own, and the project's and the libraries' biggest parts by cumulative
time.

``--against DIR`` compares with another checkout of the project (e.g. the commit
before a change, ``git worktree add`` or ``git archive | tar -x``): ``--rounds``
pairs of runs, this tree and DIR alternately (each its own process, store and
interpreter), and the median over rounds of each one's p50, with the ratio.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_autosave import build_store, render_times  # noqa: E402
from inspect_app import create_app  # noqa: E402


def profile(folder: Path, inspection_id: str, renders: int) -> str:
    app = create_app({"DATA_DIR": str(folder), "SECRET_KEY": "bench", "TESTING": True})
    client = app.test_client()
    with client.session_transaction() as session:
        user = app.extensions["store"].get_user("thanhtra")
        session["_user_id"] = f"thanhtra:{user.password_hash[-12:]}"
        session["_fresh"] = True
    path = f"/inspections/{inspection_id}/s/tthc"
    for _ in range(5):
        assert client.get(path).status_code == 200
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(renders):
        client.get(path)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(15)
    stats.sort_stats("cumulative").print_stats(r"inspect_app|jinja2/environment|wtforms/form", 25)
    return out.getvalue()


def _p50s(tree: Path, renders: int) -> dict[str, float]:
    """The whole-request p50 of each section (and cold, where the tree measures it), from
    one run of the bench in ``tree``."""
    result = subprocess.run([sys.executable, "-m", "bench.bench_section", "--profile", "0",
                             "--renders", str(renders)], cwd=tree, capture_output=True,
                            text=True, check=True)
    return {name.strip(): float(p50) for name, p50 in
            re.findall(r"^\s+(section \S+ \(\d+ criteria\): (?:whole request|cold \(nothing kept\)))"
                       r"\s+p50\s+([\d.]+)", result.stdout, re.M)}


def against(other: Path, rounds: int, renders: int) -> None:
    here: dict[str, list[float]] = {}
    there: dict[str, list[float]] = {}
    for n in range(rounds):
        for tree, into in ((ROOT, here), (other, there)) if n % 2 == 0 else ((other, there), (ROOT, here)):
            for name, p50 in _p50s(tree, renders).items():
                into.setdefault(name, []).append(p50)
    print(f"{rounds} rounds, this tree and {other} alternately, {renders} renders each; "
          "median of the p50s")
    for name in here:
        a, b = statistics.median(here[name]), statistics.median(there.get(name, [float("nan")]))
        print(f"  {name:<40} this {a:6.2f} ms   other {b:6.2f} ms   ratio {a / b:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--renders", type=int, default=300)
    parser.add_argument("--profile", type=int, default=200)
    parser.add_argument("--against", type=Path, help="another checkout to compare with")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if args.against:
        against(args.against.resolve(), args.rounds, args.renders)
        return
    folder = Path(tempfile.mkdtemp(prefix="bench-section-"))
    try:
        _token, _targets, filled = build_store(folder, 11)
        times = render_times(folder, filled, args.renders)
        print(f"section page, server side, in-process, {args.renders} renders")
        for name, (p50, p95) in times.items():
            print(f"  {name:<52} p50 {p50:6.2f} ms   p95 {p95:6.2f} ms")
        if args.profile:
            print(f"\nprofile of {args.profile} renders of section tthc (16 criteria)")
            print(profile(folder, filled, args.profile))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
