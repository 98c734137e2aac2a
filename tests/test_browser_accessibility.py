"""What a screen-reader or keyboard-only user meets on the main pages (Chromium, phone
390x844 and desktop): every control named by what it is for (section tabs by their title,
photo and number boxes by their criterion), a visible focus on "Thêm ảnh", a queue badge
that says in words when a change cannot be sent, the checklist's Vietnamese marked
lang="vi" on an English page, and the focus on the first refused field of a page sent back
without JavaScript."""
from __future__ import annotations

from .browser import chromium, eventually, live_server, login, page, phone, queued, team  # noqa: F401
from .support import PASSWORD

NAME = r"""el => {
  if (el.getAttribute('aria-label')) return el.getAttribute('aria-label');
  const by = el.getAttribute('aria-labelledby');
  if (by) return by.split(/\s+/).map(i => (document.getElementById(i) || {textContent: ''}).textContent).join(' ');
  return (el.textContent || '') + ' ' + (el.getAttribute('title') || '');
}"""


def test_section_tabs_say_which_section_they_open(live_server, team, phone):  # noqa: F811
    """What happened: an inspector with a screen reader going through the section tabs
    ("Các phần") heard each tab as "IV 0/4" — only a Roman numeral and a count; the
    section's title was on none of them, so the tabs could not be told apart by name."""
    p = phone()
    login(p, live_server, team["lead"], PASSWORD)
    p.goto(f"{live_server.url}/inspections/{team['id']}/s/bo_may")
    title = p.locator("h1").inner_text().strip()
    current = p.locator(".section-tabs a[aria-current=step]")
    assert current.count() == 1
    name = current.evaluate(NAME)
    assert title in name, f"the tab of section {title!r} is named only {' '.join(name.split())!r}"


def test_add_photo_shows_where_the_keyboard_focus_is(live_server, team, page):  # noqa: F811
    """What happened: a keyboard-only inspector Tabbing to "Thêm ảnh" saw no focus ring:
    the focus was on a 1x1 px clipped file input and the label styled as the button got no
    outline (no :focus-within rule), so nothing on screen showed where the focus was."""
    login(page, live_server, team["lead"], PASSWORD)
    page.goto(f"{live_server.url}/inspections/{team['id']}/s/bo_may")
    photo = page.locator("article.crit[data-criterion='4.1'] input[data-role=photo-input]")
    box = page.locator("article.crit[data-criterion='4.1'] textarea")
    if box.count():
        box.first.evaluate("el => el.closest('details').open = true")
        box.first.focus()
    else:
        page.locator("article.crit[data-criterion='4.1'] input").first.focus()
    for _ in range(15):
        page.keyboard.press("Tab")
        if photo.evaluate("el => document.activeElement === el"):
            break
    assert photo.evaluate("el => document.activeElement === el"), "Tab never reached Thêm ảnh"
    shown = photo.evaluate("""el => {
      const label = el.closest('label'), s = getComputedStyle(label), r = el.getBoundingClientRect();
      return {outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0,
              shadow: s.boxShadow !== 'none', input: r.width > 2 && r.height > 2
                      && getComputedStyle(el).clip !== 'rect(0px, 0px, 0px, 0px)'};
    }""")
    assert any(shown.values()), f"no visible focus on 'Thêm ảnh' ({shown})"


def test_queue_badge_says_in_words_that_a_change_cannot_be_sent(live_server, team, phone):  # noqa: F811
    """What happened: after the server refused a change from the phone (it will never go by
    itself), the top bar badge read "1 đang chờ" ("1 waiting"), the words of a change only
    waiting for the network; the refusal was told by a red colour alone, so a colour-blind
    user or a screen reader heard "waiting" and never dealt with it."""
    p = phone()
    login(p, live_server, team["lead"], PASSWORD)
    p.goto(f"{live_server.url}/inspections/{team['id']}/s/bo_may")
    p.evaluate("""id => InspectQueue.add({kind: "answer", inspection: id, key: "9.99",
        method: "PUT", url: `/api/v1/inspections/${id}/answers/9.99`, base_rev: 0,
        body: {value: true}, label: "9.99"})""", team["id"])
    eventually(lambda: [op["state"] for op in queued(p)] == ["refused"])
    p.goto(f"{live_server.url}/")
    badge = p.locator("[data-role=queue-badge]")
    badge.wait_for(state="visible", timeout=10000)
    assert "bad" in (badge.get_attribute("class") or "")
    text = badge.evaluate(NAME).strip()
    assert "đang chờ" not in text, f"a refused change is announced as {text!r}"


CONTROL_NAMES = r"""() => [...document.querySelectorAll(
    '#section-form input:not([type=hidden]):not([type=radio]):not([type=checkbox]), #section-form textarea')]
  .filter(el => !el.disabled && el.tabIndex >= 0).map(el => {
    let n = el.getAttribute('aria-label') || '';
    if (!n && el.getAttribute('aria-labelledby')) n = el.getAttribute('aria-labelledby').split(/\s+/)
      .map(i => (document.getElementById(i) || {textContent: ''}).textContent).join(' ');
    if (!n && el.id) { const l = document.querySelector(`label[for="${el.id}"]`); if (l) n = l.textContent; }
    if (!n) { const w = el.closest('label'); if (w) n = w.textContent; }
    return {type: el.type, name: n.replace(/\s+/g, ' ').trim(),
            criterion: el.closest('article.crit').dataset.criterion};
  })"""


def _duplicates(controls, kind):
    seen = {}
    for c in controls:
        if c["type"] == kind:
            seen.setdefault(c["name"], []).append(c["criterion"])
    return {name: crits for name, crits in seen.items() if len(crits) > 1}


def test_each_add_photo_names_its_criterion(live_server, team, phone):  # noqa: F811
    """What happened: on section "Thủ tục hành chính" the 16 photo inputs were all named
    just "Thêm ảnh" (no criterion, unlike the note boxes' "Ghi chú 5.1"), so a
    screen-reader user could not tell which criterion a photo would be attached to."""
    p = phone()
    login(p, live_server, team["lead"], PASSWORD)
    p.goto(f"{live_server.url}/inspections/{team['id']}/s/tthc")
    controls = p.evaluate(CONTROL_NAMES)
    notes = [c for c in controls if c["type"] == "textarea"]
    assert notes and all(c["criterion"] in c["name"] for c in notes)  # the notes do it right
    same = _duplicates(controls, "file")
    assert not same, f"photo inputs with one name for several criteria: {same}"


def test_number_boxes_of_two_criteria_have_different_names(live_server, team, page):  # noqa: F811
    """What happened: criteria 3.5 and 3.6 both ask for "Số hồ sơ đã giải quyết trước hạn"
    / "… đúng hạn", 3.11 and 3.14 both for "Số hồ sơ đã giải quyết"; their boxes were
    named only by that label, with no criterion, so a screen-reader user heard the same
    name twice and could type a figure into the wrong criterion."""
    login(page, live_server, team["lead"], PASSWORD)
    page.goto(f"{live_server.url}/inspections/{team['id']}/s/tthc")
    same = _duplicates(page.evaluate(CONTROL_NAMES), "text")
    assert not same, f"number boxes of different criteria with one name: {same}"


def test_vietnamese_checklist_text_is_marked_vi_on_an_english_page(live_server, team, page):  # noqa: F811
    """What happened: on a section page in English (<html lang="en">) the section title and
    every criterion text, the checklist's Vietnamese ("Cải cách tổ chức bộ máy"), were not
    marked lang="vi", so a screen reader read them with an English voice: gibberish."""
    login(page, live_server, team["lead"], PASSWORD)
    page.goto(f"{live_server.url}/")
    with page.expect_navigation():
        page.click("form.lang button[value=en]")
    page.goto(f"{live_server.url}/inspections/{team['id']}/s/bo_may")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.locator("#section-form button", has_text="Next").count() == 1  # English shown
    langs = page.evaluate("""() => ['h1', 'article.crit h2'].map(sel => {
        const el = document.querySelector(sel); return [el.textContent.trim(), el.closest('[lang]').lang]; })""")
    assert all(lang == "vi" for _text, lang in langs), f"Vietnamese text read as: {langs}"


def test_a_form_refused_without_javascript_has_the_focus_on_the_refused_field(live_server, team, chromium):  # noqa: F811
    """What happened: "Bắt đầu kiểm tra" sent without JavaScript with a wrong period ("abc")
    came back refused with the focus on <body>: the field's error, rendered with the page,
    was not read out and the user had to hunt through the form for what was refused."""
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN",
                                   java_script_enabled=False)
    try:
        p = context.new_page()
        login(p, live_server, team["lead"], PASSWORD)
        p.goto(f"{live_server.url}/inspections/new")
        p.fill("#period", "abc")
        with p.expect_navigation():
            p.click("#start-form button[type=submit]")
        assert p.locator(".field.has-error .error").count() >= 1
        focused = p.evaluate("""() => { const a = document.activeElement;
            return a.tagName + '#' + a.id + (a.getAttribute('aria-invalid') ? '[invalid]' : ''); }""")
        assert "invalid" in focused or "error" in focused, f"focus after the refusal is on {focused}"
    finally:
        context.close()
