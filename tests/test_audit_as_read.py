"""The audit log as an administrator reads it: merge, rename and round dates dd/mm/yyyy on the
page and in the workbook, an extreme date filter a message, not a server error."""
from __future__ import annotations

import html as html_lib
import io
import re

import openpyxl
import pytest

from inspect_app.domain.models import Unit, User
from inspect_app.services import accounts
from inspect_app.services import units as unit_service

from .support import PASSWORD, login
from .test_audit import _make_app, post


@pytest.fixture
def web_app(tmp_path, request):
    """An app on the memory store with the commune and survey checklists."""
    return _make_app(tmp_path, "memory", request)


@pytest.fixture
def people(web_app):
    """Two units and an administrator, written straight into the store (the log empty)."""
    store = web_app.extensions["store"]
    store.save_units([Unit(code="A", name="Xã Thiện Nghiệp"), Unit(code="B", name="Xã Kim Long")])
    store.add_user(User(username="quantri", role="admin",
                        password_hash=accounts.hash_password(PASSWORD)))
    return store


def audit_rows(client, **query) -> list[str]:
    """The lines of the audit page as plain text, newest first."""
    text = html_lib.unescape(client.get("/audit/", query_string=query).get_data(as_text=True))
    rows = re.findall(r'<tr data-role="audit-entry".*?</tr>', text, re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r)) for r in rows]


def workbook_rows(client, **query) -> list[tuple]:
    response = client.get("/audit/audit.xlsx", query_string=query)
    assert response.status_code == 200
    return list(openpyxl.load_workbook(io.BytesIO(response.data)).worksheets[0]
                .iter_rows(values_only=True))


def test_merge_and_rename_dates_read_dd_mm_yyyy_on_the_audit_page(web_app, people):
    """An administrator renames commune A from 01/07/2025 and merges B into it on
    01/07/2025 (both typed dd/mm/yyyy), then opens the audit log. They expect the dates of
    both lines as every other Vietnamese page writes them, 01/07/2025; the page shows the
    stored ISO text "2025-07-01" (“Ngày sáp nhập : 2025-07-01”, “Từ : — → 2025-07-01”)."""
    unit_service.rename_unit(people, "A", "Phường Thiện Nghiệp", "01/07/2025", by="quantri")
    unit_service.merge_units(people, ["B"], "A", "01/07/2025", by="quantri")
    admin = login(web_app.test_client(), "quantri")
    merge, rename = audit_rows(admin)
    assert "Sáp nhập đơn vị" in merge and "Đổi tên đơn vị" in rename
    for line in (merge, rename):
        assert "2025-07-01" not in line, line
        assert "01/07/2025" in line, line


def test_round_deadlines_read_dd_mm_yyyy_on_the_audit_page(web_app, people):
    """An administrator opens an assessment round with the self-assessment deadline
    31/03/2099 and the explanation deadline 31/05/2099, then reads the audit log. They
    expect "Hạn tự chấm … 31/03/2099"; the page shows "2099-03-31" and "2099-05-31"."""
    admin = login(web_app.test_client(), "quantri")
    response = post(admin, "/assessments/rounds/new", {
        "checklist": "chi-so-thu", "period": "2025", "units": ["A", "B"],
        "self_due": "31/03/2099", "explain_due": "31/05/2099"}, "/assessments/rounds/new")
    assert response.status_code == 302, response.get_data(as_text=True)[-600:]
    (line,) = audit_rows(admin, action="round.open")
    assert "2099-03-31" not in line and "2099-05-31" not in line, line
    assert "31/03/2099" in line and "31/05/2099" in line, line


def test_the_workbook_writes_the_merge_date_dd_mm_yyyy(web_app, people):
    """The administrator downloads the audit log as Excel after merging B into A on
    01/07/2025. The "Thay đổi" cell should read "Ngày sáp nhập: 01/07/2025" (the sheet is
    Vietnamese); it reads "Ngày sáp nhập: 2025-07-01"."""
    unit_service.merge_units(people, ["B"], "A", "01/07/2025", by="quantri")
    admin = login(web_app.test_client(), "quantri")
    _header, row = workbook_rows(admin)
    assert row[3] == "unit.merge"
    assert "Ngày sáp nhập: 01/07/2025" in row[5], row[5]


@pytest.mark.parametrize("query", [{"to": "31/12/9999"}, {"from": "01/01/0001"}])
def test_an_extreme_date_filter_is_a_message_not_a_server_error(web_app, people, query):
    """An administrator types an out-of-range year in the audit page's date filter (the
    date box lets a year up to 9999 through; 0001 typed by hand). They expect the page with
    a message, or the entries up to then; the app answers 500 (OverflowError when the day
    after 31/12/9999, or the UTC start of 01/01/0001, is computed in services/audit.filters)."""
    unit_service.add_unit(people, "C", "Xã Mới", by="quantri")
    admin = login(web_app.test_client(), "quantri")
    for path in ("/audit/", "/audit/audit.xlsx"):
        response = admin.get(path, query_string=query)
        assert response.status_code in (200, 400), (path, response.status_code)
