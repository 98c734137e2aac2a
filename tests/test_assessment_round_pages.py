"""PAR assessment pages: the round page's title is its name only, ending the explanations
asks first while a box holds unsaved text."""
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
from .test_browser_assessments import waiting  # noqa: F401  (the fixture: explanation stage)
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
