"""Figures users read are rounded the same way on every surface: half-up to two decimals
(DOMAIN §0.6, DESIGN §4) from their exact value (domain/numbers.py:round_half_up, and
figure for the dashboards' floats) — the dashboards, the Babel formatting, the phone's
preview; and checklist points have at most two decimals, so that a fully met line is
never shown below or above its maximum."""
from __future__ import annotations

import random

from inspect_app.domain.access import Scope
from inspect_app.domain.models import Unit, User
from inspect_app.services import dashboards as service

from .dashboard_province import CHECKLIST_ID, TODAY, TZ, record


def _two_communes(store, percents, period="2025", kind="inspection"):
    store.save_units([Unit("H9", "Huyện Chín"), Unit("X1", "Xã Một", parent="H9"),
                      Unit("X2", "Xã Hai", parent="H9")])
    rng = random.Random(3)
    out = []
    for n, (code, percent) in enumerate(zip(("X1", "X2"), percents), start=1):
        r = record(code, period, kind, rng, team="boss", quality=.9,
                   finalized=f"2025-06-0{n}T03:00:00+00:00", items=False)
        r.score = {**r.score, "percent": percent}
        store.add_inspection(r)
        out.append(r)
    return out


def test_dashboard_trend_province_mean_rounds_half_up(app):
    """What happened: the province officer opened the dashboards of round 2025, two
    communes scored 88,94% and 88,95%; the province line of the trend (their mean,
    88,945%, half-up 88,95%) showed 88,94%: ``round(float, 2)`` on a binary float
    (88.945 is 88.94499…) rounded it down."""
    store = app.extensions["store"]
    _two_communes(store, (88.94, 88.95))
    d = service.build(store, Scope(User("boss", "admin")),
                      service.DashboardQuery(CHECKLIST_ID, "2025", "inspection"),
                      today=TODAY, tz=TZ, escalate_after_days=30)
    assert d.trend.periods == ["2025"]
    assert d.trend.province == [88.95]


def test_most_failed_criteria_share_rounds_half_up():
    """What happened: 32 communes were inspected, one failed criterion 1.1; the "most
    failed criteria" panel showed its share, 1/32 = 3,125%, as 3,12% instead of 3,13%:
    ``round(100 * 1 / 32, 2)`` rounded the tie to even."""
    from .dashboard_province import CHECKLIST

    def card(status):
        return {"criteria": [{"id": "1.1", "type": "yesno", "status": status,
                              "points": 0 if status == "fail" else 2, "max": 2}]}

    records = [(f"Xã {n:02d}", f"r{n}", card("fail" if n == 0 else "pass"), CHECKLIST)
               for n in range(32)]
    failed = service.failed_criteria(records)
    assert [(f.criterion, f.units_short, f.units_scored) for f in failed] == [("1.1", 1, 32)]
    assert failed[0].share == 3.13


# ---------------------------------------------------------------- the phone's preview

from inspect_app.services import accounts, commands  # noqa: E402
from inspect_app.services import inspections as inspections_service  # noqa: E402
from inspect_app.services import units as unit_service  # noqa: E402

from .browser import card, chromium, live_server, login, phone  # noqa: E402,F401
from .support import PASSWORD  # noqa: E402


def test_phone_preview_of_a_proportional_ratio_rounds_points_as_the_server(
        live_server, phone):
    """What happened: an inspector on a phone, offline, typed criterion 3.11 of cchc-xa
    (proportional, 1,5 points): 7 files digitised of 12 resolved. The server gives
    1,5 × 7/12 = 0,875 → 0,88 points; the preview beside the boxes said "58,33% → 0,87":
    fill.js:preview rounded the percent to 9 decimals first, 58,333333333 × 1,5 / 100 =
    0,874999999995, which then rounded down."""
    from inspect_app.domain.scoring import score

    checklist = live_server.app.extensions["checklists"].get("cchc-xa")
    line = score(checklist, {"3.11": {"inputs": {"da_so_hoa": 7, "da_giai_quyet": 12}}}
                 ).line("3.11")
    assert str(line.points) == "0.88"  # the server's answer

    store = live_server.store()
    unit_service.add_unit(store, "PV1", "Xã Xem Trước")
    lead = accounts.create_user(store, "xemtruoc", "inspector", password=PASSWORD)
    scope = inspections_service.scope_for(store, lead)
    inspection = inspections_service.start(
        store, live_server.app.extensions["checklists"], scope,
        commands.StartRequest(unit="PV1", checklist="cchc-xa", period="2025", kind="inspection"))
    page = phone()
    login(page, live_server, "xemtruoc", PASSWORD)
    page.goto(f"{live_server.url}/inspections/{inspection.id}/s/tthc")
    page.context.set_offline(True)
    digitised = card(page, "3.11")
    digitised.locator("input[data-part=in_da_giai_quyet]").fill("12")
    digitised.locator("input[data-part=in_da_so_hoa]").fill("7")
    shown = digitised.locator("[data-role=ratio]").text_content().strip()
    assert shown.startswith("58,33%"), shown
    assert shown.endswith("→ 0,88"), f"preview shows {shown!r}; the server gives 0,88"


def _three_decimals(points):
    return {
        "format": 1, "id": "t-ba-so", "version": "1", "title": "Ba chữ số", "kind": "any",
        "sections": [{"id": "s", "title": "Một cửa", "criteria": [
            {"id": "1", "text": "Niêm yết", "type": "yesno", "points": points},
            {"id": "2", "text": "Trả kết quả", "type": "choice", "points": 1, "options": [
                {"value": "du", "label": "Đủ", "points": 1},
                {"value": "thieu", "label": "Thiếu", "points": 0.125}]},
            {"id": "3", "text": "Số hoá", "type": "ratio", "points": 1,
             "inputs": [{"id": "a", "label": "A"}, {"id": "b", "label": "B"}],
             "numerator": ["a"], "denominator": ["b"],
             "bands": [{"min": 50, "points": 1}, {"points": 0.875}]}]}]}


def test_checklist_points_with_more_than_two_decimals_are_refused():
    """What happened: a province published a checklist whose criteria were worth 0,125
    and 0,875 points and the checker took it; an inspector answered both "Có" and the card
    said 1,01 of 1, both lines "partial" (each a shortcoming calling for a remediation
    item): the points were rounded half-up to 0,13 and 0,88, the maximum stayed 0,125 and
    0,875. Points are scored and shown to hundredths, so the checker now refuses finer
    criterion, option and band points, naming each."""
    import pytest

    from inspect_app.domain.checklist import ChecklistError, parse_checklist
    from inspect_app.domain.scoring import score

    with pytest.raises(ChecklistError) as refused:
        parse_checklist(_three_decimals(0.125), "test")
    problems = "\n".join(refused.value.problems)
    assert problems.count("points have at most 2 decimals") == 3, problems
    assert "0.125" in problems and "0.875" in problems

    data = _three_decimals(0.13)
    data["sections"][0]["criteria"][1:] = []
    card = score(parse_checklist(data, "test"), {"1": {"value": True}}).as_dict()
    assert [line["status"] for line in card["criteria"]] == ["pass"]
    assert card["total"] == card["max"] == 0.13


def test_numbers_and_percents_on_pages_round_half_up():
    """What happened: the Babel formatting every page and export uses rounded a half to
    even (3,125% → 3,12%; 2,5 → 2 in the heat map's small cells)."""
    from inspect_app.i18n import formatting

    assert formatting.percent(3.125) == "3,13%"
    assert formatting.percent(88.945, "en") == "88.95%"
    assert formatting.number(0.125) == "0,13"
    assert formatting.number(2.5, "vi", 0) == "3"
    assert formatting.number(1234.5, "en", 0) == "1,235"


def test_a_stored_checklist_with_finer_points_is_still_read():
    """A record started, or a version published, before points were limited to
    hundredths still opens: its frozen checklist is read without that new rule."""
    from inspect_app.domain.checklist import parse_checklist

    data = _three_decimals(0.125)
    del data["sections"][0]["criteria"][2]
    checklist = parse_checklist(data, "snapshot", frozen=True)
    assert checklist.criterion("1").points == 0.125


def test_a_seed_checklist_with_finer_points_stays_in_the_library(tmp_path):
    """What happened: the province's checklists folder (INSPECT_CHECKLISTS_DIR) holds
    the seed file its communes have been inspected with for months (version 0), written
    when 0,125-point criteria were still taken. The server is updated.
    What they expect: as the commit says ("checklists stored before ... are read without the
    new hundredths rule, so no record or version becomes unreadable"), the checklist is
    still offered, and its version 0 is still listed on the versions page.
    What happens: the seed file is read with the new rule; the whole checklist vanishes
    from the library (no new inspections, its rankings and versions gone) and only a
    problem line is left."""
    import yaml

    from inspect_app.storage.checklist_files import ChecklistLibrary

    data = _three_decimals(0.125)
    del data["sections"][0]["criteria"][2]
    (tmp_path / "t-ba-so.yaml").write_text(yaml.safe_dump(data, allow_unicode=True),
                                           encoding="utf-8")
    library = ChecklistLibrary(tmp_path)
    assert [v.number for v in library.versions("t-ba-so")] == [0], library.problems
    assert library.get("t-ba-so") is not None, library.problems


def test_a_draft_uploaded_before_the_hundredths_rule_is_refused_saying_why(app, client):
    """What happened: an administrator uploaded a checklist with 0,125-point
    criteria (taken then) and left its preview open to publish after a colleague looked;
    the server is updated meanwhile; they reload the preview (or press publish).
    What they expect: a Vietnamese page that says the file is no longer valid (and why),
    or the preview.
    What happens: the stored draft is read with the new rule, the ChecklistError escapes
    web/checklists.draft and the page is a 500 Internal Server Error."""
    import yaml

    from inspect_app.services import accounts
    from inspect_app.services import checklists as checklist_service

    from .support import PASSWORD, login

    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the error page
    store = app.extensions["store"]
    accounts.create_user(store, "quantri", "admin", password=PASSWORD)
    login(client, "quantri")
    data = _three_decimals(0.125)
    del data["sections"][0]["criteria"][2]
    token = checklist_service.save_draft(app.extensions["checklists"],
                                         yaml.safe_dump(data, allow_unicode=True))
    response = client.get(f"/checklists/drafts/{token}")
    assert response.status_code == 302, response.status_code
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "không còn đạt yêu cầu kiểm tra" in page and "0,125" in page
