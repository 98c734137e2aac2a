"""Photos on one criterion are limited (MAX_PHOTOS, 30): one more is refused with a message
naming the criterion and the limit, by the API and by the section page without JavaScript,
and nothing of the refused upload is kept."""
from __future__ import annotations

import io

from inspect_app.domain import inspection as rules
from inspect_app.services import inspections as service
from inspect_app.services import photos

from .support import form_fields, jpeg, login, op
from .test_fill_html import key_of, world  # noqa: F401  (the section's record)


def _full(world) -> None:
    store = world["store"]
    lead = service.scope_for(store, store.get_user("lead"))
    for _ in range(rules.MAX_PHOTOS):
        photos.attach_to_answer(store, lead, world["id"], "1.6", jpeg(), op())


def test_one_photo_more_than_the_limit_is_refused_by_the_api(app, api, world):
    """What happened: the 121st photo sent to one criterion was still accepted (201):
    nothing limited the photos of a criterion, though each is read with the record and
    printed in the minutes."""
    _full(world)
    lead = api("lead")
    response = lead.client.post(
        f"/api/v1/inspections/{world['id']}/answers/1.6/photos", headers=lead._h(),
        content_type="multipart/form-data",
        data={"op_id": op(), "photo": (io.BytesIO(jpeg()), "a.jpg")})
    assert response.status_code == 400, response.get_data(as_text=True)
    body = response.get_json()
    assert "tối đa 30 ảnh" in body["error"] and "1.6" in body["error"], body
    stored = world["store"].get_inspection(world["id"])
    assert len(stored.answers["1.6"].photos) == rules.MAX_PHOTOS == len(stored.photos)


def test_one_photo_more_on_the_section_page_is_refused_on_its_card(client, world):
    """Without JavaScript the same limit: the page comes back saying it on 1.6's card,
    the answers typed with it kept."""
    _full(world)
    login(client, "lead")
    url = f"/inspections/{world['id']}/s/chi_dao"
    fields = form_fields(client.get(url).get_data(as_text=True))
    k12, k16 = key_of(world, "1.2"), key_of(world, "1.6")
    fields[f"{k12}_in_planned"] = "20"
    fields[f"{k12}_in_done"] = "16"
    response = client.post(url, data={**fields, "photo_for": "1.6",
                                      f"{k16}_photo": (io.BytesIO(jpeg()), "b.jpg")},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert "tối đa 30 ảnh" in page, response.status_code
    stored = world["store"].get_inspection(world["id"])
    assert len(stored.answers["1.6"].photos) == rules.MAX_PHOTOS
    assert stored.answers["1.2"].inputs == {"planned": 20, "done": 16}
