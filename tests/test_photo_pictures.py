"""Photos re-encoded as they look: 16-bit scans keep their greys, transparent stamps and
signatures land on white paper."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from .support import World, op


@pytest.fixture
def world(app, client):
    return World(app, client)


def _png16_grey(level: int = 32768) -> bytes:
    """A 16-bit greyscale PNG of mid grey (as scanners and some phone apps save)."""
    image = Image.new("I;16", (120, 80))
    image.putdata([level] * (120 * 80))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_a_16_bit_greyscale_scan_keeps_its_greys(world):
    """An inspector attaches a scanned page saved as a 16-bit greyscale PNG (a format the
    API accepts: PNG) as evidence of 1.6. They expect the stored photo to show the page
    (mid grey here); it is re-encoded as a picture that is pure white everywhere —
    the evidence is lost although the upload answered 201."""
    record = world.start("lead", "NT")
    lead = world.api["lead"]
    response = lead.client.post(
        f"/api/v1/inspections/{record}/answers/1.6/photos", headers=lead._h(),
        content_type="multipart/form-data",
        data={"op_id": op(), "photo": (io.BytesIO(_png16_grey()), "scan.png")})
    assert response.status_code == 201, response.get_json()
    path = world.store.photo_path(response.get_json()["photo"]["id"], "full")
    with Image.open(path) as stored:
        grey = stored.convert("L")
        darkest, lightest = grey.getextrema()
    # mid grey is 128 in 8 bits; a JPEG keeps it within a few levels
    assert 110 <= darkest and lightest <= 145, (darkest, lightest)


def test_a_transparent_stamp_is_stored_on_white(world):
    """The unit uploads its stamp / signature exported as a PNG with a transparent
    background (transparent pixels stored as (0, 0, 0, 0), as drawing tools and Word
    write them): on the phone it shows black strokes on the white page. They expect the
    stored evidence to look the same; the re-encoding drops the alpha channel onto
    black, so the stored photo and its thumbnail are black everywhere, the strokes gone."""
    from PIL import ImageDraw

    image = Image.new("RGBA", (200, 100), (0, 0, 0, 0))
    ImageDraw.Draw(image).line((10, 50, 190, 50), fill=(0, 0, 0, 255), width=6)
    data = io.BytesIO()
    image.save(data, "PNG")
    record = world.start("lead", "NT")
    lead = world.api["lead"]
    response = lead.client.post(
        f"/api/v1/inspections/{record}/answers/1.6/photos", headers=lead._h(),
        content_type="multipart/form-data",
        data={"op_id": op(), "photo": (io.BytesIO(data.getvalue()), "con-dau.png")})
    assert response.status_code == 201, response.get_json()
    path = world.store.photo_path(response.get_json()["photo"]["id"], "full")
    with Image.open(path) as stored:
        grey = stored.convert("L")
        background, stroke = grey.getpixel((5, 5)), grey.getpixel((100, 50))
    assert background > 200 and stroke < 60, (background, stroke)
