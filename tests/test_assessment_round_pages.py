"""PAR assessment pages: the round page's title is its name only, ending the explanations
asks first while a box holds unsaved text, saving one explanation keeps what was typed in
the others."""
from __future__ import annotations

import re
import uuid
from html import unescape

import pytest

from inspect_app import create_app

from .browser import chromium, live_server, phone  # noqa: F401
from .browser import login as browser_login
from .conftest import app_config
from .support import PASSWORD, post_login
from .test_browser_assessments import (
    explanation_stage,
    waiting,  # noqa: F401  (the fixture: explanation stage)
)
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


def test_ending_the_explanations_does_not_drop_a_typed_explanation(live_server, waiting,
                                                                    phone):
    """On a phone the commune officer opens the explanations page, types the explanation
    of 1.6 into its box and presses "Kết thúc giải trình" (the button at the bottom of
    the same page). Expected: what was typed is kept — saved with the end of the stage,
    or the end refused/asked about while the box holds unsaved text. What happens: the
    stage moves on to appraisal round 2 and the typed explanation is thrown away without
    a word (the end form carries nothing of the boxes, no page script guards them); the
    appraisers see a request with no explanation, and the box can no longer be written."""
    page = phone()
    browser_login(page, live_server, waiting["officer"], PASSWORD)
    record = waiting["record"]
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


def test_saving_one_explanation_keeps_the_text_typed_in_another(live_server, phone):
    """The appraisers asked to explain 1.6 and 5.4. On a phone the officer types both
    explanations, then presses "Lưu giải trình" of 1.6. Expected: 1.6 is saved and the
    text typed for 5.4 is still in its box, said to be not saved yet (and ending the stage
    still asks about it). What happened: each card is its own form, the save reloaded the
    page and the 5.4 text was gone without a word."""
    world = explanation_stage(live_server, explain_54=True)
    page = phone()
    browser_login(page, live_server, world["officer"], PASSWORD)
    record = world["record"]
    page.goto(f"{live_server.url}/assessments/{record}/explanations")
    first, second = "Đã ban hành KH số 06/KH-UBND", "Hộp thư góp ý đặt tại bộ phận một cửa"
    page.fill("#e-1\\.6 textarea[name=text]", first)
    page.fill("#e-5\\.4 textarea[name=text]", second)
    with page.expect_navigation():
        page.click("#e-1\\.6 button[type=submit]:not([name])")
    stored = live_server.store().get_inspection(record)
    assert stored.explanations["1.6"].text == first
    assert "5.4" not in stored.explanations
    assert page.input_value("#e-5\\.4 textarea[name=text]") == second
    assert "chưa được lưu" in page.inner_text("#e-5\\.4")
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.click("button:has-text('Kết thúc giải trình')")
    page.wait_for_timeout(300)
    assert asked and live_server.store().get_inspection(record).stage == "explanation"
    page.reload()
    assert page.input_value("#e-5\\.4 textarea[name=text]") == second
    page.fill("#e-5\\.4 textarea[name=text]", "")  # cleared on purpose: nothing comes back
    page.reload()
    assert page.input_value("#e-5\\.4 textarea[name=text]") == ""
