"""Run every benchmark, one after the other: ``make bench`` (or ``python -m bench``).

Each prints its own table; see the module docstrings for what they measure. The
whole run takes about five minutes on a 2-core machine; run one alone with
``python -m bench.bench_autosave`` (or bench_storage, bench_records, bench_writes,
bench_section, bench_export).
"""
from __future__ import annotations

import subprocess
import sys

BENCHMARKS = ("bench.bench_storage", "bench.bench_records", "bench.bench_autosave",
              "bench.bench_writes", "bench.bench_section", "bench.bench_lists",
              "bench.bench_export", "bench.bench_formpack", "bench.bench_wire",
              "bench.bench_changes", "bench.bench_dashboards", "bench.bench_plan_pdf")


def main() -> int:
    status = 0
    for module in BENCHMARKS:
        print(f"\n=== python -m {module}", flush=True)
        status |= subprocess.call([sys.executable, "-m", module])
    return status


if __name__ == "__main__":
    sys.exit(main())
