"""Numbers and periods between the two languages: a page keeps reading its numbers the
way it wrote them (Vietnamese "3.200" is 3200, even when the user switched the session to
English in another tab since), a period is taken as either language's pages write it, and
a refusal writes its numbers in the reader's language."""
from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest

from inspect_app import create_app
from inspect_app.domain.periods import parse_period
from inspect_app.services import accounts, assessments, commands
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service

from .conftest import app_config
from .support import PASSWORD, World, csrf_of, form_fields, login, op
from .test_assessment_pages import record  # noqa: F401  (the assessment fixture)


@pytest.fixture
def world(app, client):
    return World(app, client)


def _switch(client, lang, next_path="/"):
    token = csrf_of(client.get(next_path).get_data(as_text=True))
    response = client.post("/language", data={"lang": lang, "next": next_path,
                                              "csrf_token": token})
    assert response.status_code in (302, 303)


def test_a_section_page_reads_its_numbers_the_way_it_wrote_them(world, client):
    """What happened: an inspector had the section "Tài chính công" open in a tab (a
    Vietnamese page: 6.3's boxes said "3.200" and "3.150" million đồng), switched the
    language to English in another tab, then pressed "Save" on the first tab without
    JavaScript, touching nothing. The save re-read every box by the session's current
    language: "3.200" in English is 3.2, so 3200 silently became 3.2 and 3150 became
    3.15."""
    record = world.start("lead", "NT")
    world.answer("lead", record, "6.3", inputs={"ke_hoach_von": 3200, "da_giai_ngan": 3150})
    login(client, "lead")
    page = client.get(f"/inspections/{record}/s/tai_chinh").get_data(as_text=True)
    fields = form_fields(page)
    assert "3.200" in fields.values() and "3.150" in fields.values()  # the Vietnamese page
    assert fields["numbers_locale"] == "vi"

    _switch(client, "en")  # "another tab": the session's language is now English
    response = client.post(f"/inspections/{record}/s/tai_chinh", data={**fields, "go": "stay"})
    assert response.status_code in (302, 303, 400, 409)

    inputs = world.record(record).answers["6.3"].inputs
    assert Decimal(str(inputs["ke_hoach_von"])) == 3200, inputs
    assert Decimal(str(inputs["da_giai_ngan"])) == 3150, inputs


def test_a_section_page_sent_back_keeps_writing_its_numbers_the_same_way(world, client):
    """What happened (with the above): a Vietnamese page sent after the switch to English
    and refused for one box came back with its boxes as typed ("3.200") but told the
    browser, and its next save, to read them the English way."""
    record = world.start("lead", "NT")
    login(client, "lead")
    page = client.get(f"/inspections/{record}/s/tai_chinh").get_data(as_text=True)
    fields = form_fields(page)
    boxes = sorted(k for k in fields if k.endswith(("_in_ke_hoach_von", "_in_da_giai_ngan")))
    fields[boxes[0]], fields[boxes[1]] = "3.150", "3.20"  # 3.20: 3,2 or 320? refused
    _switch(client, "en")
    again = client.post(f"/inspections/{record}/s/tai_chinh", data={**fields, "go": "stay"})
    assert again.status_code == 400
    shown = form_fields(again.get_data(as_text=True))
    assert shown["numbers_locale"] == "vi" and shown[boxes[0]] == "3.150"
    assert '"decimal": ","' in again.get_data(as_text=True)  # the browser reads it the vi way
    shown[boxes[1]] = "3.200"
    client.post(f"/inspections/{record}/s/tai_chinh", data={**shown, "go": "stay"})
    inputs = world.record(record).answers["6.3"].inputs
    assert {Decimal(str(v)) for v in inputs.values()} == {Decimal(3150), Decimal(3200)}, inputs


def test_an_appraisal_page_reads_its_numbers_the_way_it_wrote_them(app, client, record):  # noqa: F811
    """What happened: an appraiser typed 3.200 and 3.150 (million đồng) into 6.3 on the
    Vietnamese appraisal page of "Tài chính công", switched to English in another tab and
    saved the first: the appraisal stored 3.2 and 3.15."""
    store = app.extensions["store"]
    unit_scope = service.scope_for(store, store.get_user("ua"))
    assessments.advance(store, unit_scope, record, commands.AdvanceOp(op()))
    login(client, "lead")
    page = client.get(f"/assessments/{record}/appraisal/tai_chinh").get_data(as_text=True)
    data = form_fields(page, "appraisal-form")
    assert data["numbers_locale"] == "vi"
    boxes = sorted(k for k in data if k.endswith(("_in_ke_hoach_von", "_in_da_giai_ngan")))
    data.update({k: v for k, v in zip(boxes, ("3.150", "3.200"))})  # da_giai_ngan, ke_hoach
    _switch(client, "en")
    sent = client.post(f"/assessments/{record}/appraisal/tai_chinh", data=data)
    assert sent.status_code == 302
    inputs = store.get_inspection(record).rounds["appraisal1"]["6.3"].inputs
    assert Decimal(str(inputs["ke_hoach_von"])) == 3200, inputs
    assert Decimal(str(inputs["da_giai_ngan"])) == 3150, inputs


@pytest.mark.parametrize("locale", ["vi", "fr", ""])
def test_a_page_language_other_than_the_known_ones_is_the_session_s(world, client, locale):
    """A form whose language field is not one the app writes ("fr", missing) is read the
    session's way (here Vietnamese), never by an unknown locale."""
    record = world.start("lead", "NT")
    login(client, "lead")
    fields = form_fields(client.get(f"/inspections/{record}/s/tai_chinh").get_data(as_text=True))
    boxes = sorted(k for k in fields if k.endswith(("_in_ke_hoach_von", "_in_da_giai_ngan")))
    fields.update({boxes[0]: "3.150", boxes[1]: "3.200", "numbers_locale": locale})
    client.post(f"/inspections/{record}/s/tai_chinh", data={**fields, "go": "stay"})
    inputs = world.record(record).answers["6.3"].inputs
    assert {Decimal(str(v)) for v in inputs.values()} == {Decimal(3150), Decimal(3200)}, inputs


@pytest.mark.parametrize("code", ["2025", "2025-H1", "2025-Q3", "2025-W14", "2025-03"])
def test_a_period_written_as_the_english_pages_write_it_is_taken(world, client, code):
    """What happened: an admin reading the app in English typed a period as the English
    pages write it ("H1 2025", "Week 14, 2025", "March 2025" — ``Period.label("en")``)
    into the export form's period box; the export refused it (400): ``periods._as_code``
    knew the Vietnamese labels only."""
    period = parse_period(code)
    login(client, "admin")
    _switch(client, "en")
    for locale in ("vi", "en"):
        label = period.label(locale)
        assert parse_period(label).code == code
        assert parse_period(label.upper()).code == code
        response = client.get("/exports/workbook.xlsx",
                              query_string={"period": label, "lang": "en"})
        assert response.status_code == 200, (label, response.status_code)


SURVEY_YAML = """\
format: 1
id: chi-so-en
version: "1"
title: Chỉ số CCHC thử
kind: any
bands:
  - {min: 0, label: Yếu}
sections:
  - id: chi_dao
    title: Chỉ đạo, điều hành
    criteria:
      - {id: "1.1", text: Ban hành kế hoạch CCHC, type: yesno, points: 6}
  - id: ks
    title: Điều tra xã hội học
    survey: true
    criteria:
      - {id: "9.1", text: Mức độ hài lòng của người dân, type: score, points: 2.5, step: 0.01}
"""


def test_a_survey_refusal_writes_the_points_the_reader_s_way(tmp_path):
    """What happened: an admin reading the app in English uploaded a survey file whose
    line gave 3 to criterion 9.1 (worth 2.5 points). The refusal said "above the 2,5
    points": ``services/survey._figure_problem`` wrote the maximum with a Vietnamese
    decimal comma before the message was translated (an English reader reads 25)."""
    folder = tmp_path / "checklists"
    folder.mkdir()
    (folder / "chi-so-en.yaml").write_text(SURVEY_YAML, encoding="utf-8")
    app = create_app(app_config(tmp_path, CHECKLISTS_DIR=str(folder)))
    store = app.extensions["store"]
    unit_service.add_unit(store, "A", "Xã Thiện Nghiệp")
    accounts.create_user(store, "admin", "admin", password=PASSWORD)
    client = app.test_client()
    token = accounts.issue_token(store, "admin")
    started = client.post("/api/v1/inspections", headers={"Authorization": f"Bearer {token}"},
                          json={"unit": "A", "checklist": "chi-so-en", "period": "2025",
                                "kind": "assessment"})
    assert started.status_code == 201, started.get_json()
    login(client, "admin")

    def refusal() -> str:
        page = client.get("/assessments/rounds/chi-so-en/2025").get_data(as_text=True)
        response = client.post("/assessments/rounds/chi-so-en/2025/survey", data={
            "csrf_token": csrf_of(page), "file": (io.BytesIO(b"unit,ks\nA,3\n"), "ks.csv")},
            content_type="multipart/form-data")
        assert response.status_code == 400
        return response.get_data(as_text=True)

    assert "2,5" in refusal()  # the Vietnamese page writes 2,5
    _switch(client, "en")
    said = re.search(r"[^<>]*above the[^<>]*", refusal()).group(0)  # the English refusal
    assert "2.5 points" in said and "2,5" not in said, said
