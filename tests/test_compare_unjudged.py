"""The self-check beside the inspection: a criterion one side left unanswered is no gap (page
and dashboards), and a second self-check just started does not replace the finalized one."""
from __future__ import annotations

import datetime as _dt
import re

import pytest

from inspect_app.services import dashboards

from .support import World, login


@pytest.fixture
def world(app, client):
    return World(app, client)


def _row(html: str, criterion: str) -> str:
    rows = re.findall(r"<tr[^>]*>.*?</tr>", html, re.S)
    return next(r for r in rows if f"<strong>{criterion}</strong>" in r)


def _cells(row: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def _pair_with_team_unanswered(world):
    """NT's self-check answers 2.1 "Có" (2 of 2) and is finalized; the team's inspection
    never answers 2.1 and is finalized with the unanswered criteria allowed."""
    own = world.start("ua", "NT", kind="self_check")
    world.answer("ua", own, "2.1", value=True, note="Có văn bản số 12/QĐ-UBND")
    world.finalize("ua", own)
    inspection = world.start("lead", "NT")
    world.answer("lead", inspection, "1.1", value="dung_han")
    world.finalize("lead", inspection)
    return own, inspection


def test_a_criterion_the_team_left_unanswered_is_not_flagged_as_overrating(client, world):
    """The commune scores itself 2/2 on 2.1; the inspection team does not reach 2.1 and
    finalizes with unanswered criteria allowed. The lead opens the comparison page and
    expects 2.1 to show the team's side as "not scored" with no gap: the team made no
    judgement there, so the commune did not "score itself higher". What happens: an
    unanswered line has points 0 (domain/scoring.score_line), domain/compare.Gap takes it
    as the team's score, and the page shows Team "0", Gap "+2" and the red "Scored itself
    higher" flag, counting 2.1 among the overrated criteria."""
    _own, inspection = _pair_with_team_unanswered(world)
    login(client, "lead")
    html = client.get(f"/inspections/{inspection}/compare").get_data(as_text=True)
    row = _row(html, "2.1")
    cells = _cells(row)
    assert 'class="overrated"' not in row, cells
    assert cells[4] == "–", cells  # no gap against a criterion the team did not score
    assert cells[3] != "0", cells  # the team did not give 0: it did not score it


def test_the_gap_panel_counts_no_overrating_on_criteria_the_team_did_not_score(world):
    """Same round on the dashboards (admin, cchc-xa 2025, inspections): the gap panel's
    "criteria overrated" and "gap (points)" for NT should not count 2.1, which the team
    never answered. What happens: services/dashboards.gap_rows sums domain/compare's gaps,
    where the team's unanswered 2.1 counts as 0 points — NT is shown with 1 overrated
    criterion and +2 points, all from a criterion nobody inspected (the self-check
    answered only 2.1)."""
    _pair_with_team_unanswered(world)
    board = dashboards.build(world.store, world.scope("admin"),
                             dashboards.DashboardQuery("cchc-xa", "2025", "inspection"),
                             today=_dt.date(2025, 12, 1), tz="Asia/Ho_Chi_Minh",
                             escalate_after_days=30)
    row = next(g for g in board.gaps if g.unit == "NT")
    assert row.overrated == 0, row
    assert row.gap_points <= 0, row


def test_a_second_self_check_just_started_does_not_replace_the_finalized_one(client, world):
    """NT finalizes its 2025 self-check (2.1 "Có", 2/2); later an officer starts another
    2025 self-check (allowed: no draft is open) and has not answered anything yet. The
    lead opens the comparison of the finalized inspection and expects the unit's finalized
    self-score (2) beside the team's — as the dashboards' gap panel uses the newest
    *finalized* self-check. What happens: services/inspections.counterpart takes the newest
    self-check of any status, so the page compares with the empty draft: Self "0" for 2.1
    and the commune looks as if it under-rated itself by 2."""
    own = world.start("ua", "NT", kind="self_check")
    world.answer("ua", own, "2.1", value=True, note="Có văn bản số 12/QĐ-UBND")
    world.finalize("ua", own)
    inspection = world.start("lead", "NT")
    world.answer("lead", inspection, "2.1", value=True)
    world.finalize("lead", inspection)
    again = world.start("ua", "NT", kind="self_check")
    assert again != own and world.record(again).status == "draft"
    login(client, "lead")
    html = client.get(f"/inspections/{inspection}/compare").get_data(as_text=True)
    cells = _cells(_row(html, "2.1"))
    assert cells[2] == "2", cells
