"""PAR assessment pages: the round page's title is its name only, ending the explanations
asks first while a box holds unsaved text."""
from __future__ import annotations

import re
import uuid
from html import unescape

import pytest

from inspect_app import create_app
from inspect_app.services import accounts, assessments, commands
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service

from .browser import chromium, live_server, phone  # noqa: F401
from .browser import login as browser_login
from .conftest import app_config
from .support import PASSWORD, post_login
from .test_shipped_checklists import full_answers
from .test_survey import CHECKLIST_YAML, make_world


def op() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def survey_app(tmp_path):
    folder = tmp_path / "checklists"
    folder.mkdir()
    (folder / "chi-so-thu.yaml").write_text(CHECKLIST_YAML, encoding="utf-8")
    return create_app(app_config(tmp_path, CHECKLISTS_DIR=str(folder)))


def test_round_page_title_of_a_checklist_with_a_survey_is_only_its_name(survey_app):
    """The admin opens the progress page of a round whose checklist has survey sections.
    Expected: the browser tab (the page's <title>) reads "Chỉ số CCHC thử · 2025 ·
    inspect_app". What happens: the whole survey upload section (its heading, the long
    explanation, the form's HTML tags) is written inside <title>, so the tab and the
    history show raw markup like '<section class="survey-upload" …'."""
    client = survey_app.test_client()
    make_world(survey_app, client)
    assert post_login(client, "admin", "mat-khau-dai").status_code == 302
    page = client.get("/assessments/rounds/chi-so-thu/2025")
    assert page.status_code == 200
    title = unescape(re.search(r"<title>(.*?)</title>", page.get_data(as_text=True),
                               re.S).group(1))
    assert "<section" not in title and "<form" not in title, title[:200]
    assert " ".join(title.split()) == "Chỉ số CCHC thử · 2025 · inspect_app"


@pytest.fixture
def explaining(live_server):
    """An assessment at the explanation stage: round 1 lowered 1.6 and asked to explain."""
    store = live_server.store()
    tag = uuid.uuid4().hex[:6]
    code = f"T{tag}"
    unit_service.add_unit(store, code, f"Xã Thiện Nghiệp {tag}")
    accounts.create_user(store, f"lead{tag}", "inspector", password=PASSWORD)
    accounts.create_user(store, f"xa{tag}", "unit", unit=code, password=PASSWORD)
    lead = service.scope_for(store, store.get_user(f"lead{tag}"))
    unit = service.scope_for(store, store.get_user(f"xa{tag}"))
    record = service.start(store, live_server.app.extensions["checklists"], lead,
                           commands.StartRequest(unit=code, checklist="cchc-xa", period="2025",
                                                 kind="assessment")).id
    for cid, content in full_answers().items():
        service.save_answer(store, unit, record, commands.answer_op(cid, {
            "op_id": op(), "base_rev": 0, "note": f"Minh chứng {cid}", **content}))
    assessments.advance(store, unit, record, commands.AdvanceOp(op()))
    assessments.save_appraisal(store, lead, record, commands.appraisal_op("1.6", {
        "op_id": op(), "base_rev": 1, "value": False, "explain": True,
        "note": "Chưa thấy kế hoạch tuyên truyền CCHC năm 2025"}))
    assessments.advance(store, lead, record, commands.AdvanceOp(op()))
    return {"record": record, "officer": f"xa{tag}"}


def test_ending_the_explanations_does_not_drop_a_typed_explanation(live_server, explaining,
                                                                    phone):
    """On a phone the commune officer opens the explanations page, types the explanation
    of 1.6 into its box and presses "Kết thúc giải trình" (the button at the bottom of
    the same page). Expected: what was typed is kept — saved with the end of the stage,
    or the end refused/asked about while the box holds unsaved text. What happens: the
    stage moves on to appraisal round 2 and the typed explanation is thrown away without
    a word (the end form carries nothing of the boxes, no page script guards them); the
    appraisers see a request with no explanation, and the box can no longer be written."""
    page = phone()
    browser_login(page, live_server, explaining["officer"], PASSWORD)
    record = explaining["record"]
    page.goto(f"{live_server.url}/assessments/{record}/explanations")
    typed = "Đã ban hành KH số 06/KH-UBND ngày 18/01/2025"
    page.fill("#e-1\\.6 textarea[name=text]", typed)
    page.on("dialog", lambda dialog: dialog.dismiss())  # a "leave unsaved text?" question
    button = page.locator("button", has_text="Kết thúc giải trình")
    try:
        with page.expect_navigation(timeout=5000):
            button.click()
    except Exception:  # noqa: BLE001 - no navigation: the page kept the text
        pass
    stored = live_server.store().get_inspection(record)
    saved = stored.explanations.get("1.6")
    assert (saved is not None and saved.text == typed) or stored.stage == "explanation", (
        f"stage {stored.stage}, explanation {saved}")
