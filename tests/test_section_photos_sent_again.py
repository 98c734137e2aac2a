"""The section page's photo buttons without JavaScript and the write protocol (DESIGN §7):
a second photo from a page shown again is added (an op_id of its own); the page sent
twice with "Remove" is answered as the first removal."""
from __future__ import annotations

import io

from PIL import Image

from inspect_app.services import inspections as service

from .support import form_fields, login
from .test_fill_html import key_of, world  # noqa: F401  (the section's record)


def picture(colour) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, "JPEG")
    return out.getvalue()


def test_a_second_photo_from_a_page_shown_again_with_a_problem_is_added(client, world):
    """No JavaScript: on section "chi_dao" the inspector types a word into a number of 1.2
    and uploads a photo for 1.6. The photo is added and the page comes back (400) saying
    what is wrong with 1.2. On that page they correct 1.2 and upload a second, different
    photo for 1.6. Expected: 1.6 has both photos. What happened: the page shown again kept
    the op_ids of the first page, the second upload reuses "<op_id>-p" with other content
    and is refused as a reused op_id ("already used for a different change"): the photo is
    lost (from_a_page handles this for answers, not for the section's photo upload)."""
    login(client, "lead")
    url = f"/inspections/{world['id']}/s/chi_dao"
    fields = form_fields(client.get(url).get_data(as_text=True))
    k12, k16 = key_of(world, "1.2"), key_of(world, "1.6")
    fields[f"{k12}_in_planned"] = "hai mươi"
    fields[f"{k12}_in_done"] = "1"
    first = client.post(url, data={**fields, "photo_for": "1.6",
                                   f"{k16}_photo": (io.BytesIO(picture((200, 30, 30))), "a.jpg")},
                        content_type="multipart/form-data")
    assert first.status_code == 400
    assert len(world["store"].get_inspection(world["id"]).answers["1.6"].photos) == 1
    again = form_fields(first.get_data(as_text=True))
    again[f"{k12}_in_planned"] = "20"
    second = client.post(url, data={**again, "photo_for": "1.6",
                                    f"{k16}_photo": (io.BytesIO(picture((30, 30, 200))), "b.jpg")},
                         content_type="multipart/form-data")
    answers = world["store"].get_inspection(world["id"]).answers
    assert answers["1.2"].inputs == {"planned": 20, "done": 1}
    page = second.get_data(as_text=True)
    assert "op_id này đã được dùng" not in page
    assert len(answers["1.6"].photos) == 2, second.status_code


def test_the_section_page_sent_twice_with_remove_photo_is_answered_as_the_first_time(client, world):
    """No JavaScript: on section "chi_dao" the inspector presses "Remove" under a photo of
    1.6; on a slow network the browser sends the page again (a double tap, a retry after a
    lost reply). Expected, as for the page's answers and its photo upload ("the page sent
    twice adds the photo once"): the second send is answered as the first was, the photo
    removed, no error. What happened: the removal went without an op_id
    (web/fill._section_photo calls remove_from_answer without one), so the repeat is
    refused "no such photo on this criterion" and the page comes back as 400 with an
    error on 1.6, although the removal the user asked for was done."""
    from inspect_app.services import photos

    store = world["store"]
    lead = service.scope_for(store, store.get_user("lead"))
    added = photos.attach_to_answer(store, lead, world["id"], "1.6", picture((10, 160, 10)),
                                    "4d1c2f5e-0000-4000-8000-000000000001")
    login(client, "lead")
    url = f"/inspections/{world['id']}/s/chi_dao"
    fields = form_fields(client.get(url).get_data(as_text=True))
    data = {**fields, "remove_photo": f"1.6:{added.photo_id}"}
    first = client.post(url, data=data)
    assert first.status_code == 302
    assert not store.get_inspection(world["id"]).answers["1.6"].photos
    second = client.post(url, data=data)
    page = second.get_data(as_text=True)
    assert "tiêu chí này không có ảnh đó" not in page and "no such photo" not in page
    assert second.status_code == 302, second.status_code
