"""The self-check beside the inspection: the comparison reads a penalty the right way
round and flags a criterion the unit called not applicable where the team found it short;
and a disabled account is told so. Found by exploratory testing; each test failed before
its fix."""
from __future__ import annotations

import re
import uuid

import pytest

from inspect_app.services import accounts, commands
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service

from .support import PASSWORD, login, post_login


@pytest.fixture
def world(app):
    store = app.extensions["store"]
    unit_service.add_unit(store, "NT", "Xã Nông Thượng")
    for name, role, unit in (("lead", "inspector", None), ("ua", "unit", "NT"),
                             ("admin", "admin", None)):
        accounts.create_user(store, name, role, unit=unit, password=PASSWORD)
    lead = service.scope_for(store, store.get_user("lead"))
    inspection = service.start(store, app.extensions["checklists"], lead, commands.StartRequest(
        unit="NT", checklist="cchc-xa", period="2025", kind="inspection"))
    ua = service.scope_for(store, store.get_user("ua"))
    own = service.start(store, app.extensions["checklists"], ua, commands.StartRequest(
        unit="NT", checklist="cchc-xa", period="2025", kind="self_check"))
    return {"store": store, "id": inspection.id, "self": own.id, "lead": lead, "ua": ua}


def _answer(world, who, record, criterion, **content):
    service.save_answer(world["store"], world[who], record, commands.answer_op(
        criterion, {"op_id": str(uuid.uuid4()), "base_rev": 0, **content}))


def _row(html: str, criterion: str) -> str:
    rows = re.findall(r"<tr[^>]*>.*?</tr>", html, re.S)
    return next(r for r in rows if f"<strong>{criterion}</strong>" in r)


def test_a_penalty_the_unit_left_out_of_its_self_check_is_flagged_as_overrating(
        client, world):
    """The commune's self-check gives itself no penalty (9.2 Điểm trừ = 0); the team deducts
    3 points there. The commune rated itself 3 points higher, so the comparison page should
    flag 9.2 "Scored itself higher" (+3) and count it among the overrated criteria. What
    happens: domain/compare.py Gap.gap is self − team on the penalty's points, which are
    points *taken off* — the page shows a gap of −3 (as if the commune under-rated itself),
    no flag, "0 criteria" overrated; a commune that deducts a penalty the team did not is
    flagged instead."""
    _answer(world, "ua", world["self"], "9.2", value=0)
    _answer(world, "lead", world["id"], "9.2", value=3)
    self_card = service.live_card(world["store"].get_inspection(world["self"]))
    team_card = service.live_card(world["store"].get_inspection(world["id"]))
    assert (self_card.penalty, team_card.penalty) == (0, 3)  # 3 points off the team's total
    login(client, "lead")
    html = client.get(f"/inspections/{world['id']}/compare").get_data(as_text=True)
    row = _row(html, "9.2")
    assert 'class="overrated"' in row, row
    assert "1 tiêu chí đơn vị tự chấm cao hơn" in html


def test_a_self_check_that_calls_a_failed_criterion_not_applicable_is_flagged(client, world):
    """The commune marks 2.1 (2 points, N/A allowed) "Không áp dụng" in its self-check, which
    takes those 2 points out of its maximum; the team answers 2.1 "Không" (0 of 2). The
    commune's percent is higher for it, so the comparison should show the line as a
    disagreement, flagged as rating itself higher. What happens: domain/compare.py Gap.gap is
    None when either side has no points, so the row shows "–" as its gap, no flag, and
    the count of overrated criteria says 0."""
    _answer(world, "ua", world["self"], "2.1", na=True)
    _answer(world, "lead", world["id"], "2.1", value=False)
    login(client, "lead")
    html = client.get(f"/inspections/{world['id']}/compare").get_data(as_text=True)
    row = _row(html, "2.1")
    assert 'class="overrated"' in row, row
    assert "0 tiêu chí đơn vị tự chấm cao hơn" not in html


def test_a_disabled_user_with_the_right_password_is_told_the_account_is_disabled(client, world):
    """An administrator disables commune officer "ua"; ua, who still knows the password,
    logs in with the right username and password. They expect to be told the account is
    disabled so that they ask the administrator. They were told "Sai tên đăng nhập hoặc
    mật khẩu." (web/auth.py turned every Forbidden into it) and each try counted as a
    failed login towards the lock-out."""
    world["store"].update_user("ua", lambda u: setattr(u, "active", False))
    response = post_login(client, "ua", PASSWORD)
    html = response.get_data(as_text=True)
    assert response.status_code != 302
    assert "Sai tên đăng nhập hoặc mật khẩu" not in html
    assert "khóa" in html
    assert world["store"].login_failures(accounts._throttle_key("ua"), 0, 10**12) == 0
