"""A final assessment's findings are its final round's: the Excel findings row and the printed
minutes pair the final points with the appraisers' answer and note."""
from __future__ import annotations

import datetime as _dt

from inspect_app.domain.access import Scope
from inspect_app.domain.models import User
from inspect_app.services import exports as export_service

from .test_assessments import create, self_score
from .test_assessments import world as world  # noqa: F401  (the fixture)
from .test_shipped_checklists import full_answers

CHECKLIST = "cchc-xa"
ADMIN = Scope(user=User(username="flask-cli", role="admin", full_name="Command line"))


def _findings(app, **filters):
    store = app.extensions["store"]
    report = export_service.report(
        store, ADMIN, export_service.validate_filters(
            store, app.extensions["checklists"], **filters),
        today=_dt.date(2026, 12, 3))
    headers, rows = report.table("findings")
    return [dict(zip(headers, row)) for row in rows]


def test_an_appraised_criterion_reads_the_appraisers_answer_and_note_in_findings(app, world):
    """The commune self-scores criterion 5.4 at its maximum (2 points, with its evidence
    note); the province's appraiser disagrees in round 1: 1.5 points, note "Trừ 0,5
    điểm", and the assessment reaches its final stage. An analyst exports the workbook
    and reads the findings row of 5.4: she expects the answer, the note and the points
    of the final card side by side (1.5, "Trừ 0,5 điểm", 1.5 points). The row shows the
    final points (1.5) next to the commune's own self-score answer (2) and the commune's
    evidence note: the answer and the note of the row contradict its points, and the
    appraiser's reason for the cut is nowhere in the findings sheet."""
    iid = create(world)
    self_score(world, iid, "ua", full_answers())
    assert world["ua"].advance(iid).status_code == 200
    response = world["lead"].appraise(iid, "5.4", 1, value=1.5, note="Trừ 0,5 điểm")
    assert response.status_code == 200, response.json
    final = world["lead"].advance(iid)
    assert final.status_code == 200 and final.json["stage"] == "final", final.json

    rows = [r for r in _findings(app) if r["Mã"] == "5.4"]
    assert len(rows) == 1
    row = rows[0]
    assert row["Điểm"] == 1.5  # the final card's points
    assert (row["Trả lời"], row["Ghi chú"]) == (1.5, "Trừ 0,5 điểm"), row
