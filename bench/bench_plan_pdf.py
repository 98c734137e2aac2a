"""How long does the remediation plan's PDF take for many long items?

    .venv/bin/python -m bench.bench_plan_pdf [--sizes 20 80] [--profile]

A plan of N items (the shape :func:`.documents.plan_content` gives), each finding, cause,
action and output written at length, just under the documented limit of
``domain.text.LONG_TEXT`` (4.000) characters, in Vietnamese. Prints the seconds
:func:`inspect_app.exports.pdf.plan_pdf` takes for each N (wall clock and CPU: on a busy
machine the CPU time is the steadier figure) and the size of the file; with
``--profile`` the top of a cProfile of the first size.

Goal: 80 such items well under 10 s on a 2-core machine (the PDF is made inside the
request; gunicorn kills a request after 60 s, docs/deployment.md). Before the fix of
round 108 (each cell laid out twice by fpdf2's line breaker, which measures the whole line
again for every character) 20 items took 29 s (15.7 s CPU), 80 took 86 s (61 s CPU); after it 80 take
about 7 s CPU (docs/performance.md).
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import time

from inspect_app.domain.text import LONG_TEXT
from inspect_app.exports.pdf import plan_pdf

WORDS = {"finding": "hồ sơ thủ tục hành chính chưa được cập nhật đầy đủ",
         "cause": "cán bộ một cửa kiêm nhiệm nhiều việc, thiếu hướng dẫn",
         "action": "rà soát, niêm yết và cập nhật lên hệ thống của tỉnh",
         "output": "báo cáo kết quả rà soát kèm danh mục đã công khai"}


def long_text(field: str, n: int) -> str:
    """A text of just under LONG_TEXT characters ending in a marker of item ``n``."""
    tail = f" #{n}."
    words = WORDS[field] + "; "
    return (words * ((LONG_TEXT - len(tail)) // len(words))).rstrip() + tail


def plan(size: int) -> dict:
    rows = []
    for n in range(1, size + 1):
        rows.append({"criterion": f"{n // 10 + 1}.{n % 10}" if n <= 60 else "",
                     "owner": "Văn phòng HĐND và UBND xã", "cooperating": "Công chức Tư pháp",
                     "due": "31/03/2026", "progress": "Chưa thực hiện", "note": "",
                     **{k: long_text(k, n) for k in WORDS}})
    return {
        "header": {"top": "UBND HUYỆN PHÚ VANG", "main": "ỦY BAN NHÂN DÂN XÃ NÔNG THƯỢNG",
                   "number": "…/KH-UBND", "place": "Nông Thượng",
                   "date": "ngày …… tháng …… năm 2026"},
        "unit_name": "Xã Nông Thượng", "unit_text": "xã Nông Thượng",
        "committee": "Ủy ban nhân dân xã Nông Thượng", "inspecting_body": "Sở Nội vụ",
        "period": "năm 2025", "inspection_date": "ngày 12 tháng 3 năm 2026",
        "minutes_ref": "Biên bản kiểm tra ngày 12 tháng 3 năm 2026",
        "shortcomings": rows, "causes": rows, "actions": rows, "report_by": "31/03/2026",
        "appendix": rows, "status_date": "20/03/2026",
        "qr": {"url": "https://example.invalid/inspections/x", "caption": "Quét mã"},
        "draft": False, "preview_items": False, "is_self_check": False,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20, 80])
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    plan_pdf(plan(1))  # fonts read, imports done
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(plan_pdf, plan(args.sizes[0]))
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
    print(f"{'items':>6} {'seconds':>8} {'cpu s':>7} {'s/item':>7} {'KB':>6}")
    for size in args.sizes:
        doc = plan(size)
        started, cpu = time.perf_counter(), time.process_time()
        data = plan_pdf(doc)
        took, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(f"{size:>6} {took:>8.2f} {cpu:>7.2f} {took / size:>7.3f} {len(data) // 1024:>6}",
              flush=True)


if __name__ == "__main__":
    main()
