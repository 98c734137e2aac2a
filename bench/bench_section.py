"""The section page, server side, in-process (issue 12, point 7: ≤ 10 ms p50 for 16
criteria), with the top of its profile.

    /work/main/.venv/bin/python -m bench.bench_section [--renders 300] [--profile 200]

A temporary store (100 communes, one inspector, one fully answered ``cchc-xa``
inspection: :func:`bench.bench_autosave.build_store`) and Flask's test client (no
network): GET of the section pages III (16 criteria) and I (10), ``--renders`` times
each after a warm-up, p50/p95 of the whole request and of the WTForms form build
alone. Then ``--profile`` renders of section III under cProfile: the functions with
the most time of their own, and the project's and the libraries' biggest parts by
cumulative time.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import shutil
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--renders", type=int, default=300)
    parser.add_argument("--profile", type=int, default=200)
    args = parser.parse_args()
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
