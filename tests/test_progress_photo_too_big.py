"""A phone photo too big for the no-JavaScript progress form of an item: the photo is
refused naming the limit, the progress note typed with it is kept (the route carries
photos, as every route that receives them)."""
from __future__ import annotations

import io

from .support import form_fields, login
from .test_plan_as_entered import plan, world  # noqa: F401  (a finalized plan: 1.6)


def test_a_big_photo_on_the_no_js_progress_form_keeps_the_progress_note(world, plan):
    """The commune officer, on the remediation item page without JavaScript, types a
    progress note and picks a 14 MB phone photo as evidence. Expected (as on the fill page,
    docs/security.md: every route that receives photos is ``carries_photos``): the photo is
    refused by the photo limit (8 MB) with a Vietnamese message, and the note is kept.
    What happened: /remediation/item/<id>/progress was not marked ``carries_photos``, so the
    request is over MAX_CONTENT_LENGTH (12 MB) and the whole form is thrown away with 413."""
    client = login(world.app.test_client(), "ua")
    html = client.get(f"/remediation/item/{plan['item']}").get_data(as_text=True)
    fields = form_fields(html, "progress")
    fields.update(status="in_progress", progress_note="Đã giao Văn phòng dự thảo kế hoạch")
    huge = b"\xff\xd8\xff\xe0" + b"\0" * (14 * 1024 * 1024)
    response = client.post(f"/remediation/item/{plan['item']}/progress",
                           data={**fields, "photo": (io.BytesIO(huge), "IMG_2041.jpg")},
                           content_type="multipart/form-data")
    assert response.status_code != 413, "the typed progress note was thrown away (413)"
    page = response.get_data(as_text=True)
    assert "8 MB" in page or "8,0 MB" in page
    assert "Đã giao Văn phòng dự thảo kế hoạch" in page
