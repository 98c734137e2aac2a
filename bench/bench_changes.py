"""What an open section's live poll costs: ``GET …/changes?since=N`` against re-reading the
whole inspection (``GET /api/v1/inspections/<id>``), which a page would need without it.

    .venv/bin/python -m bench.bench_changes

The 57-criterion inspection of ``bench_wire`` (every criterion answered) is asked through
the Flask test client with ``Accept-Encoding: br, gzip`` by its inspector, interleaved
A/B/C in one run: (A) the poll when nothing changed, (B) the poll after a team mate saved
one answer (``since`` one revision back), (C) the whole inspection's JSON. Printed: the
bytes on the wire (headers + compressed body) and the server time per request, p50 and
p95 over the rounds, and the ratios to (C).
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench.bench_wire import ACCEPT, build, wire_bytes  # noqa: E402
from inspect_app.services import commands
from inspect_app.services import inspections as service  # noqa: E402

ROUNDS = 60


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        app, client, inspection_id, _sections = build(Path(tmp))
        store = app.extensions["store"]
        scope = service.scope_for(store, store.get_user("thanhtra"))
        # one more save, so that "since one revision back" has exactly one change
        current = store.get_inspection(inspection_id).answers["1.6"]
        service.save_answer(store, scope, inspection_id, commands.answer_op("1.6", {
            "op_id": str(uuid.uuid4()), "base_rev": current.rev, "value": not current.value}))
        rev = store.get_inspection(inspection_id).rev
        base = f"/api/v1/inspections/{inspection_id}"
        cases = {"poll, nothing changed": f"{base}/changes?since={rev}&section=chi_dao",
                 "poll, one answer changed": f"{base}/changes?since={rev - 1}&section=chi_dao",
                 "whole inspection JSON": base}
        headers = {**ACCEPT, "Accept": "application/json"}
        times: dict[str, list[float]] = {name: [] for name in cases}
        sizes: dict[str, int] = {}
        for _ in range(ROUNDS):
            for name, url in cases.items():  # interleaved: the machine's load hits all alike
                started = time.perf_counter()
                response = client.get(url, headers=headers)
                times[name].append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.status_code
                sizes[name] = wire_bytes(response)
        whole = statistics.median(times["whole inspection JSON"])
        print(f"57-criterion inspection, all answered; {ROUNDS} rounds interleaved")
        print(f"  {'request':<26} {'bytes':>7} {'p50 ms':>8} {'p95 ms':>8} {'p50 / whole':>12}")
        for name in cases:
            p50, p95 = statistics.median(times[name]), _percentile(times[name], 0.95)
            print(f"  {name:<26} {sizes[name]:>7} {p50:>8.2f} {p95:>8.2f} {p50 / whole:>12.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
