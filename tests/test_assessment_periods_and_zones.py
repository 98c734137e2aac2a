"""Assessment rounds (DESIGN §10): a period written the Vietnamese way is the same period
(a second round of "Năm 2025" beside 2025 was opened), and the self-score deadline is
counted in the configured time zone, as the pages count it."""
from __future__ import annotations

import pytest

from inspect_app.services import accounts
from inspect_app.services import units as unit_service
from inspect_app.storage.base import InspectionQuery

from .test_assessments import Api, op
from .test_shipped_checklists import full_answers

CHECKLIST = "cchc-xa"


@pytest.fixture
def world(app, client):
    store = app.extensions["store"]
    for code, name in (("A", "Xã Thiện Nghiệp"), ("B", "Xã Kim Long")):
        unit_service.add_unit(store, code, name)
    apis = {}
    for name, role, unit in (("admin", "admin", None), ("lead", "inspector", None),
                             ("ua", "unit", "A"), ("ub", "unit", "B")):
        accounts.create_user(store, name, role, unit=unit, password="mat-khau-dai")
        apis[name] = Api(client, accounts.issue_token(store, name))
    return apis


def assessments_of(app, unit=None):
    rows = app.extensions["store"].query_inspections(InspectionQuery(kind="assessment")).rows
    return [r for r in rows if unit is None or r.unit == unit]


def open_round(runner, period, *units):
    args = ["assessments", "open", CHECKLIST, period, "--self-due", "2099-03-31",
            "--explain-due", "2099-05-31", "--lead", "lead"]
    for u in units:
        args += ["--unit", u]
    return runner.invoke(args=args)


def self_score_and_finish(world, iid, user):
    for cid, content in full_answers().items():
        body = {"op_id": op(), "base_rev": 0, "note": f"Minh chứng {cid}", **content}
        r = world[user].put(f"/inspections/{iid}/answers/{cid}", body)
        assert r.status_code == 200, (cid, r.json)
    assert world[user].advance(iid).status_code == 200
    r = world["lead"].advance(iid)
    assert r.status_code == 200 and r.json["stage"] == "final", r.json


def test_a_round_opened_with_the_period_written_in_words_duplicates_assessed_units(
        app, runner, world):
    """open_round must refuse "a unit already assessed for that period" (services/
    assessments.py docstring, docs/api.md "all or nothing ... 409 naming the units
    already assessed"). The period "Năm 2025" is the documented Vietnamese spelling of
    2025 (periods.parse_period) and start() stores it as "2025" -- but the "already
    taken" check runs on the raw text, so a second round of the same year goes through:
    unit A gets a second assessment of 2025 beside its final one, and B (still a draft)
    gets a second draft."""
    first = open_round(runner, "2025", "A", "B")
    assert first.exit_code == 0, first.output
    final_a = next(r.id for r in assessments_of(app, "A"))
    self_score_and_finish(world, final_a, "ua")

    again = open_round(runner, "Năm 2025", "A", "B")
    periods = sorted((r.unit, r.period, r.status) for r in assessments_of(app))
    assert again.exit_code == 2, (again.output, periods)
    assert "A, B" in again.output
    assert len(assessments_of(app, "A")) == 1 and len(assessments_of(app, "B")) == 1, periods


def test_the_self_score_deadline_follows_the_configured_time_zone(tmp_path, monkeypatch):
    """docs/settings.md: INSPECT_TIMEZONE is the "time zone for dates, deadlines and
    overdue items". The web pages and the CLI count the day in that zone (local_today,
    cli _today), but the write refusals call clock.today() with its Vietnam default, so
    with TIMEZONE=UTC the round page says the 31/03 deadline has not passed while the
    unit's answer on that same 31/03 is refused 409 "closed on 31/03"."""
    import datetime as _dt

    from inspect_app import create_app
    from inspect_app.services import clock

    from .conftest import app_config

    app = create_app(app_config(tmp_path, TIMEZONE="UTC"))
    client = app.test_client()
    world = {}
    store = app.extensions["store"]
    unit_service.add_unit(store, "A", "Xã Thiện Nghiệp")
    for name, role, unit in (("admin", "admin", None), ("lead", "inspector", None),
                             ("ua", "unit", "A")):
        accounts.create_user(store, name, role, unit=unit, password="mat-khau-dai")
        world[name] = Api(client, accounts.issue_token(store, name))
    opened = app.test_cli_runner().invoke(args=[
        "assessments", "open", CHECKLIST, "2025", "--unit", "A", "--self-due", "2099-03-31",
        "--explain-due", "2099-05-31", "--lead", "lead"])
    assert opened.exit_code == 0, opened.output
    iid = assessments_of(app, "A")[0].id
    # 31/03/2099 20:00 in UTC, the configured zone: still the deadline day
    monkeypatch.setattr(clock, "now_utc",
                        lambda: _dt.datetime(2099, 3, 31, 20, 0, tzinfo=_dt.UTC))
    from .support import login

    page = login(app.test_client(), "admin", "mat-khau-dai").get(
        f"/assessments/rounds/{CHECKLIST}/2025")
    assert page.status_code == 200
    response = world["ua"].put(f"/inspections/{iid}/answers/1.6",
                               {"op_id": op(), "base_rev": 0, "value": True,
                                "note": "Minh chứng"})
    assert response.status_code == 200, response.json
