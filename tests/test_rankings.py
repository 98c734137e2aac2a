"""Rankings (DESIGN §11) read the period as the start form and the dashboards read it, and
say in the user's language when it is not one."""
from __future__ import annotations

from .dashboard_province import SNAPSHOT
from .test_unit_merge import province, record

CID = SNAPSHOT["id"]


def _admin_api(app, client):
    from inspect_app.services import accounts

    from .support import PASSWORD, Api

    store = app.extensions["store"]
    accounts.create_user(store, "quantri", "admin", password=PASSWORD)
    return Api(client, accounts.issue_token(store, "quantri"))


def test_rankings_read_a_period_written_the_vietnamese_way(app, client):
    """The start form, the dashboards and the exports all read a period written the
    Vietnamese way ("Quý I năm 2025" is 2025-Q1, services/inspections.py,
    services/dashboards.py). A province officer types "Quý I năm 2025" (or "2025-q1")
    into the rankings page's period field: the ranking says no unit has a finalized
    record and lists every commune as not inspected, although both were inspected."""
    store = app.extensions["store"]
    province(store)
    record(store, "ra", "A", period="2025-Q1", percent=85.0)
    record(store, "rb", "B", period="2025-Q1", percent=60.0)
    api = _admin_api(app, client)
    typed = api.get(f"/rankings?checklist={CID}&period=2025-Q1").get_json()
    assert [r["inspection"] for r in typed["rows"]] == ["ra", "rb"]
    for written in ("Quý I năm 2025", "2025-q1"):
        answer = api.get(f"/rankings?checklist={CID}&period={written}").get_json()
        assert [r["inspection"] for r in answer["rows"]] == ["ra", "rb"], (
            f"{written!r}: rows {answer['rows']}, not inspected {answer['not_inspected']}")


def test_rankings_say_in_vietnamese_that_a_period_is_unreadable(app, client, auth):
    """A period the app cannot read ("Quy 1 2025", a typo) on the rankings page: the
    dashboards answer 400 "... is not one: use 2025, 2025-Q1 ..." (in Vietnamese); the
    rankings page answers 200 with an empty ranking that calls every commune
    "without a finalized record" — a wrong answer instead of saying what is wrong."""
    store = app.extensions["store"]
    province(store)
    record(store, "ra", "A", period="2025", percent=85.0)
    api = _admin_api(app, client)
    response = api.get(f"/rankings?checklist={CID}&period=Quy 1 2025x")
    assert response.status_code == 400, response.get_json()
    assert response.get_json().get("field") == "period"
    auth.login("quantri")
    page = client.get(f"/rankings/?checklist={CID}&period=Quy 1 2025x")
    assert page.status_code == 400


def test_the_excel_summary_ranks_a_unit_by_its_newest_record_as_the_page_does(app):
    """Xã An inspected twice in 2025 (90 % in January, 50 % in June after a re-inspection),
    Xã Bình once (70 %): the rankings page ranks Bình 1st and An's June record 2nd. The
    export's summaries lost ``finalized_at`` on their way to the workbook, which then ranked
    An by whichever record it read first (its January 90 %)."""
    from inspect_app.exports.workbook import Filters
    from inspect_app.services import accounts
    from inspect_app.services import exports as export_service
    from inspect_app.services import inspections as service
    from inspect_app.services.rankings import RankingQuery, ranking

    from .support import PASSWORD

    store = app.extensions["store"]
    province(store)
    record(store, "a2", "A", percent=90.0, finalized_at="2025-01-20T03:00:00+00:00")
    record(store, "a1", "A", percent=50.0, finalized_at="2025-06-20T03:00:00+00:00")
    record(store, "b1", "B", percent=70.0, finalized_at="2025-03-20T03:00:00+00:00")
    scope = service.scope_for(store, accounts.create_user(store, "quantri", "admin",
                                                          password=PASSWORD))
    page = {r["inspection"]: r["rank"] for r in ranking(
        store, scope, RankingQuery(CID, "2025"))["rows"]}
    assert page == {"b1": 1, "a1": 2}
    summary = [row.cells for key, row in export_service.report(
        store, scope, Filters(period="2025")).rows() if key == "summary"]
    excel = {(cells[1], cells[12]): cells[-1] for cells in summary}
    assert excel == {("B", 0.7): 1, ("A", 0.5): 2, ("A", 0.9): None}
