"""Vietnamese done right: a complete catalogue, Vietnamese number and date formats,
diacritic-folding search and sorting, and the language switch."""
from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from inspect_app.domain.periods import PeriodError, parse_period, period_of
from inspect_app.domain.text import fold, matches, nfc, sort_key
from inspect_app.web.i18n import formatting

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "inspect_app" / "translations" / "vi" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@pytest.fixture(scope="module")
def catalogue():
    with PO.open("rb") as handle:
        return read_po(handle, locale="vi")


@pytest.fixture(scope="module")
def source_msgids(tmp_path_factory):
    """Every msgid in the code and templates, extracted the way `make messages` does."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run([str(Path(sys.executable).with_name("pybabel")), "-q", "extract", "-F",
                    str(ROOT / "babel.cfg"), "-k", "_l", "-k", "lazy_gettext", "--no-location",
                    "-o", str(pot), str(ROOT / "inspect_app")], check=True, cwd=ROOT)
    with pot.open("rb") as handle:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}


def test_every_message_of_the_code_is_in_the_catalogue(catalogue, source_msgids):
    known = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue if m.id}
    missing = sorted(source_msgids - known)
    assert not missing, f"run `make messages` and translate: {missing[:10]}"


def test_every_message_is_translated_and_not_fuzzy(catalogue):
    problems = []
    for message in catalogue:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings) or message.fuzzy:
            problems.append(message.id)
    assert not problems, problems[:10]


def test_translations_keep_their_placeholders(catalogue):
    for message in catalogue:
        if not message.id:
            continue
        source = message.id if isinstance(message.id, str) else message.id[1]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(source)), message.id


def test_the_catalogue_is_nfc(catalogue):
    for message in catalogue:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            assert text == nfc(text), message.id


# ---------------------------------------------------------------- formats

@pytest.mark.parametrize("value, vi, en", [
    (61475, "61.475", "61,475"),
    (Decimal("1.5"), "1,5", "1.5"),
    (Decimal("0.25"), "0,25", "0.25"),
    (2000, "2.000", "2,000"),
    (None, "", ""),
])
def test_numbers(value, vi, en):
    assert formatting.number(value, "vi") == vi
    assert formatting.number(value, "en") == en


@pytest.mark.parametrize("value, vi", [(88.95, "88,95%"), (100, "100,00%"), (Decimal("53.99"), "53,99%"),
                                       (0, "0,00%")])
def test_percents(value, vi):
    assert formatting.percent(value, "vi") == vi


def test_dates():
    assert formatting.date(dt.date(2023, 4, 7), "vi") == "07/04/2023"
    assert formatting.date("2023-04-07", "vi") == "07/04/2023"
    assert formatting.long_date_vi(dt.date(2023, 4, 7)) == "ngày 07 tháng 4 năm 2023"
    assert formatting.long_date_vi(dt.date(2025, 2, 9)) == "ngày 09 tháng 02 năm 2025"
    stamp = "2026-11-21T17:30:00+00:00"  # 00:30 the next day in Vietnam
    assert formatting.datetime(stamp, "vi", "Asia/Ho_Chi_Minh") == "22/11/2026 00:30"


@pytest.mark.parametrize("code, label", [
    ("2025", "Năm 2025"), ("2025-Q1", "Quý I năm 2025"), ("2025-H2", "6 tháng cuối năm 2025"),
    ("2025-03", "Tháng 3 năm 2025"), ("2025-W14", "Tuần 14 năm 2025"), ("2025-q4", "Quý IV năm 2025"),
])
def test_periods(code, label):
    assert parse_period(code).label("vi") == label


@pytest.mark.parametrize("code", ["25", "2025-Q5", "2025-W54", "2025-13", "quý 1", "", "1999"])
def test_bad_periods(code):
    with pytest.raises(PeriodError, match="2025-Q1"):
        parse_period(code)


def test_period_of_a_day():
    day = dt.date(2025, 4, 7)
    assert [period_of(k, day) for k in ("year", "quarter", "half", "month", "week")] == [
        "2025", "2025-Q2", "2025-H1", "2025-04", "2025-W15"]
    assert parse_period("2025-W15").start <= day <= parse_period("2025-W15").end


# ---------------------------------------------------------------- folding

@pytest.mark.parametrize("text, folded", [
    ("Thiện Nghiệp", "thien nghiep"), ("ĐỒNG VĂN", "dong van"), ("Tả Lủng", "ta lung"),
    ("Kiê\u0309m tra", "kiem tra"),  # decomposed input
])
def test_fold(text, folded):
    assert fold(text) == folded


def test_sorting_ignores_diacritics():
    names = ["Xã Định Hòa", "Xã Đồng Văn", "Xã Dương Hòa", "Xã Ân Phú", "Xã An Bình"]
    assert sorted(names, key=sort_key) == ["Xã An Bình", "Xã Ân Phú", "Xã Định Hòa",
                                           "Xã Đồng Văn", "Xã Dương Hòa"]


def test_search_matches_with_or_without_accents():
    assert matches("thien nghiep", "Xã Thiện Nghiệp")
    assert matches("Nghiệp", "XÃ THIỆN NGHIỆP")
    assert not matches("kim long", "Xã Thiện Nghiệp")


# ---------------------------------------------------------------- the switch

def test_vietnamese_by_default_and_english_on_the_switch(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="vi">' in page and "Đăng nhập" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/language", data={"lang": "en", "next": "/login",
                                              "csrf_token": token})
    assert response.status_code == 302 and response.location.endswith("/login")
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page and "Log in" in page and "Đăng nhập" not in page


def test_the_form_library_speaks_the_users_language(client):
    """WTForms has no Vietnamese catalogue: its own messages (a required field, a box too
    long) come from the app's, on a Vietnamese page and on an English one."""
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    html = client.post("/login", data={"csrf_token": token, "username": "",
                                       "password": ""}).get_data(as_text=True)
    assert "Trường này là bắt buộc." in html and "This field is required." not in html
    html = client.post("/login", data={"csrf_token": token, "username": "x" * 41,
                                       "password": "p"}).get_data(as_text=True)
    assert "không được dài quá 40 ký tự" in html
    client.post("/language", data={"lang": "en", "next": "/login", "csrf_token": token})
    html = client.post("/login", data={"csrf_token": token, "username": "",
                                       "password": ""}).get_data(as_text=True)
    assert "This field is required." in html


def test_every_form_of_the_web_layer_is_an_app_form():
    """So that none falls back to WTForms' English messages (web/forms.py)."""
    import inspect

    from flask_wtf import FlaskForm

    import inspect_app.web as web
    from inspect_app.web.forms import Form

    found = []
    for path in sorted(Path(web.__file__).parent.glob("*.py")):
        module = __import__(f"inspect_app.web.{path.stem}", fromlist=["_"])
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, FlaskForm) and cls is not FlaskForm and cls is not Form:
                found.append(cls)
                assert issubclass(cls, Form), f"{cls.__module__}.{cls.__name__} is not a web.forms.Form"
    assert len(found) >= 15
