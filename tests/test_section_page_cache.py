"""The section page keeps what it draws (issue 12, point 7): score cards per answers'
content, each criterion's card per what it shows, the texts per language. What a page
shows must never come from a stale kept rendering."""
from __future__ import annotations

import html
import json
import re

from inspect_app.services import commands
from inspect_app.services import inspections as service
from inspect_app.web import fill_forms
from tests.test_fill_html import csrf_of, form_fields, key_of, login, section_form, world  # noqa: F401


def _card(html: str, criterion_id: str) -> str:
    start = html.index(f'data-criterion="{criterion_id}"')
    return html[start:html.index("</article>", start)]


def _answer(world, criterion_id, **content):
    store = world["store"]
    lead = service.scope_for(store, store.get_user("lead"))
    current = store.get_inspection(world["id"]).answers.get(criterion_id)
    service.save_answer(store, lead, world["id"], commands.answer_op(criterion_id, {
        "op_id": f"op-{criterion_id}-{len(str(content))}-{current.rev if current else 0}",
        "base_rev": current.rev if current else 0, **content}))


def test_a_changed_answer_shows_at_once_and_the_others_are_kept(client, world):
    login(client, "lead")
    path = f"/inspections/{world['id']}/s/chi_dao"
    first = client.get(path).get_data(as_text=True)
    assert " checked" not in _card(first, "1.6")
    _answer(world, "1.6", value=True)
    kept = len(fill_forms._RENDERED)
    second = client.get(path).get_data(as_text=True)
    card = _card(second, "1.6")
    assert 'value="true" checked' in card and "status-pass" in second.split('data-criterion="1.6"')[0][-200:]
    assert len(fill_forms._RENDERED) == kept + 1  # only the changed card was drawn again
    _answer(world, "1.6", value=False)
    third = client.get(path).get_data(as_text=True)
    assert 'value="false" checked' in _card(third, "1.6")
    assert 'value="true" checked' not in _card(third, "1.6")


def test_every_view_gets_fresh_op_ids_also_from_kept_cards(client, world):
    login(client, "lead")
    one, two = section_form(client, world), section_form(client, world)
    key = key_of(world, "1.6")
    assert one[f"{key}_op_id"] and two[f"{key}_op_id"] and one[f"{key}_op_id"] != two[f"{key}_op_id"]
    page = client.get(f"/inspections/{world['id']}/s/chi_dao").get_data(as_text=True)
    assert "<!--op_id-->" not in page
    ops = dict(re.findall(r'name="(c\d+)_op_id" value="([^"]+)"', page))
    # one per criterion (a no-JS photo upload uses its criterion's, with "-p")
    assert len(ops) == page.count('data-role="photo-input"') and len(set(ops.values())) == len(ops)


def test_kept_cards_follow_the_language_and_whether_the_page_is_editable(client, world):
    login(client, "lead")
    path = f"/inspections/{world['id']}/s/chi_dao"
    vi = client.get(path).get_data(as_text=True)
    assert "Ghi chú" in _card(vi, "1.6")
    client.post("/language", data={"lang": "en", "next": path, "csrf_token": csrf_of(vi)})
    en = client.get(path).get_data(as_text=True)
    assert "Note" in _card(en, "1.6") and "Ghi chú" not in _card(en, "1.6")
    assert " disabled" not in _card(en, "1.6")
    def finalize(record):  # a stand-in for a finalize: the page is read-only now
        record.status = "finalized"

    world["store"].update_inspection(world["id"], finalize)
    assert " disabled" in _card(client.get(path).get_data(as_text=True), "1.6")


def test_a_score_card_is_scored_once_per_content(world):
    store = world["store"]
    record = store.get_inspection(world["id"])
    assert service.live_card(record) is service.live_card(store.get_inspection(world["id"]))
    before = service.live_card(record)
    _answer(world, "1.6", value=True)
    after = service.live_card(store.get_inspection(world["id"]))
    assert after is not before and after.line("1.6").status == "pass"
    assert before.line("1.6").status != "pass"


def test_scripts_texts_are_translated_per_language(client, world):
    login(client, "lead")
    path = f"/inspections/{world['id']}/s/chi_dao"
    vi = client.get(path).get_data(as_text=True)
    assert _texts(vi)["saved"] == "Đã lưu"
    client.post("/language", data={"lang": "en", "next": path, "csrf_token": csrf_of(vi)})
    en = client.get(path).get_data(as_text=True)
    assert _texts(en)["saved"] == "Saved"
    client.post("/language", data={"lang": "vi", "next": path, "csrf_token": csrf_of(en)})
    assert _texts(client.get(path).get_data(as_text=True))["saved"] == "Đã lưu"


def _texts(page: str) -> dict:
    return json.loads(html.unescape(re.search(r"data-i18n='([^']+)'", page).group(1)))


def test_the_locale_looked_up_once_follows_force_locale(app):
    from flask_babel import force_locale

    from inspect_app.web.i18n import current_locale

    with app.test_request_context("/"):
        assert current_locale() == "vi"
        with force_locale("en"):
            assert current_locale() == "en"
        assert current_locale() == "vi"
