"""Found by reviewing this session's changes: an explanation stopped offline is kept for
the tab as any unsaved one; a stage that is not a word is a 400; a passphrase as long as
an account's can be changed on "Tài khoản của tôi" as well as used to log in."""
from __future__ import annotations

import uuid

from inspect_app.services import accounts  # noqa: F401

from .browser import chromium, live_server, login, phone  # noqa: F401
from .support import PASSWORD, World, csrf_of, page_text, post_login
from .test_assessments import cchc, create, self_score, submitted, world  # noqa: F401
from .test_browser_assessments import explanation_stage


def test_an_explanation_refused_offline_is_kept_when_the_page_is_reloaded(live_server, phone):
    """The commune officer types an explanation on a phone that has lost the network and
    presses the card's "save" button. The page now says (queue.js's offline guard) that
    it needs the network and "what you typed is still here". Back online the officer
    reloads the page (or leaves and comes back) to send it again: the explanations page
    keeps every text not saved for the tab and puts it back, marked "not saved yet".
    What happened: the text of the card pressed offline was gone -- drafts.js (then explanations.js) marked
    the form as "being sent" on submit even when the post never left (the document-level
    guard stopped it), so at pagehide it is left out of what is kept."""
    waiting = explanation_stage(live_server)
    record = waiting["record"]
    page = phone()
    login(page, live_server, waiting["officer"], PASSWORD)
    page.goto(f"{live_server.url}/assessments/{record}/explanations")
    box = "#e-1\\.6 textarea[name=text]"
    text = "Đã ban hành KH số 06/KH-UBND ngày 18/01/2025"
    page.fill(box, text)
    page.context.set_offline(True)
    page.click("#e-1\\.6 button[type=submit]")
    note = page.locator("#e-1\\.6 [data-role=needs-network]")
    note.wait_for(state="visible")
    assert page.input_value(box) == text  # still here, as the page says
    page.context.set_offline(False)
    page.reload()
    assert page.input_value(box) == text, "the explanation typed offline was lost on reload"
    assert live_server.store().get_inspection(record).explanations.get("1.6") is None


def test_the_api_answers_a_stage_that_is_not_a_word_with_400_not_500(app, world, submitted):
    """A script calls ``POST /api/v1/inspections/<id>/advance`` with a malformed body,
    ``{"op_id": …, "stage": ["appraisal1"]}`` (a list where the new optional ``stage``
    should be a stage name). Every other malformed field of the API is a 400 naming the
    field. What happened: 500 Internal Server Error -- ``commands.advance_op`` tests
    ``stage not in stages.STAGE_LABELS`` (a dict), and a list is unhashable (TypeError)."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = world["lead"].post(f"/inspections/{submitted}/advance",
                                  {"op_id": str(uuid.uuid4()),
                                   "stage": ["appraisal1"]})
    assert response.status_code in (400, 422), response.status_code
    assert app.extensions["store"].get_inspection(submitted).stage == "appraisal1"


LONG_PASSPHRASE = "toi di lam o uy ban xa moi ngay " * 7  # 224 characters, a passphrase


def test_a_user_with_a_long_passphrase_can_change_it_on_my_account(app, client, runner):
    """The administrator created a user on the command line with a long passphrase (224
    characters; the service accepts up to 1000, and the login now accepts it too). The
    user logs in with it, opens "Tài khoản của tôi" and changes the password, typing
    the passphrase as the current one. They expect the change to go through. What
    happens: 400 -- the "current password" box of the account form still refuses more
    than 200 characters (web/users.py ChangePasswordForm Length(max=200)), so a user who
    can log in with their password can never change it."""
    World(app, client)
    result = runner.invoke(args=["users", "create", "chutich", "--role", "viewer",
                                 "--password-stdin"], input=LONG_PASSPHRASE + "\n")
    assert result.exit_code == 0, result.output
    assert post_login(client, "chutich", LONG_PASSPHRASE).status_code == 302
    account = client.get("/account/").get_data(as_text=True)
    changed = client.post("/account/password", data={
        "csrf_token": csrf_of(account), "current_password": LONG_PASSPHRASE,
        "password": "mot-mat-khau-rieng-cua-toi", "confirm": "mot-mat-khau-rieng-cua-toi"})
    assert changed.status_code == 302, page_text(changed).split("flash-error")[1][:200]
