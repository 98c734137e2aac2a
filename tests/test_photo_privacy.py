"""Photo privacy and decompression bombs (issue 9, point 11): served photos and their
thumbnails carry no metadata of any kind, and an image claiming too many pixels is
refused from its header, before decoding, quickly and without memory."""
from __future__ import annotations

import io
import struct
import subprocess
import sys
import time
import uuid
import zlib
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from inspect_app import create_app
from inspect_app.services import Invalid, accounts, commands, photos
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service

from .support import PASSWORD, login

ROOT = Path(__file__).resolve().parent.parent
MARKER = "GPS 21.0285N 105.8542E SĐT 0912345678"
MARKER_BYTES = [MARKER.encode("utf-8"), MARKER.encode("utf-16-le"), b"0912345678",
                b"21.0285N", b"MARKER-ICC", b"Exif", b"http://ns.adobe.com/xap"]


def _picture(mode: str = "RGB", size=(64, 48)) -> Image.Image:
    image = Image.new(mode, size)
    for x in range(size[0]):  # something to encode: a gradient, not a flat colour
        for y in range(size[1]):
            image.putpixel((x, y), (x * 4 % 256, y * 5 % 256, 90) if mode == "RGB" else x % 200)
    return image


def _exif() -> bytes:
    exif = Image.Exif()
    exif[0x010E] = MARKER  # ImageDescription
    exif[0x8298] = MARKER  # Copyright
    exif[0x0112] = 1       # Orientation
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (21.0, 1.0, 42.6), "E", (105.0, 51.0, 15.1)
    return exif.tobytes()


XMP = (f'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
       f'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
       f'xmlns:xmp="http://ns.adobe.com/xap/1.0/"><rdf:Description xmp:Label="{MARKER}"/>'
       f'</rdf:RDF></x:xmpmeta><?xpacket end="w"?>').encode()
ICC = b"MARKER-ICC " + MARKER.encode("utf-8") * 4


def jpeg_with_everything() -> bytes:
    out = io.BytesIO()
    _picture().save(out, "JPEG", comment=MARKER.encode("utf-8"), exif=_exif(), xmp=XMP,
                    icc_profile=ICC)
    return out.getvalue()


def jpeg_with_comment_only() -> bytes:
    out = io.BytesIO()
    _picture().save(out, "JPEG", comment=MARKER.encode("utf-8"))
    return out.getvalue()


def png_with_everything() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", MARKER.encode("latin-1", "replace").decode("latin-1"))  # tEXt
    info.add_text("Location", MARKER, zip=True)        # zTXt (or iTXt: not latin-1)
    info.add_itxt("Description", MARKER, lang="vi", tkey="Mô tả")  # iTXt
    info.add_itxt("XML:com.adobe.xmp", XMP.decode("utf-8"))
    out = io.BytesIO()
    _picture().save(out, "PNG", pnginfo=info, exif=_exif(), icc_profile=ICC)  # eXIf, iCCP
    return out.getvalue()


def gif_with_comment() -> bytes:
    out = io.BytesIO()
    _picture("P").save(out, "GIF", comment=MARKER.encode("utf-8"))
    return out.getvalue()


def webp_with_everything() -> bytes:
    out = io.BytesIO()
    _picture().save(out, "WEBP", exif=_exif(), xmp=XMP, icc_profile=ICC, lossless=True)
    return out.getvalue()


def tiff_with_tags() -> bytes:
    out = io.BytesIO()
    tags = {270: MARKER, 305: MARKER, 315: MARKER, 700: XMP, 33432: MARKER}
    _picture().save(out, "TIFF", tiffinfo=tags)
    return out.getvalue()


UPLOADS = {
    "jpeg COM, EXIF+GPS, XMP, ICC": jpeg_with_everything,
    "jpeg COM only": jpeg_with_comment_only,
    "png tEXt, zTXt, iTXt, XMP, eXIf, iCCP": png_with_everything,
    "gif comment": gif_with_comment,
    "webp EXIF, XMP, ICCP": webp_with_everything,
    "tiff description, artist, XMP": tiff_with_tags,
}

#: JPEG markers of image data only: SOF0-3, DHT, SOI, EOI, SOS, DQT, DRI (APP0 checked apart)
IMAGE_MARKERS = {0xC0, 0xC1, 0xC2, 0xC3, 0xC4, 0xD8, 0xD9, 0xDA, 0xDB, 0xDD}
JFIF_PLAIN = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"  # 1.01, no units, 1:1, no thumbnail


def jpeg_segments(data: bytes) -> list[tuple[int, bytes]]:
    """(marker, payload) of every segment up to the first scan."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    segments, pos = [(0xD8, b"")], 2
    while pos < len(data):
        assert data[pos] == 0xFF, f"no marker at {pos}"
        marker = data[pos + 1]
        length = struct.unpack(">H", data[pos + 2:pos + 4])[0]
        segments.append((marker, data[pos + 4:pos + 2 + length]))
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            tail = data[pos + 2 + length:]
            # a progressive JPEG has more scans; collect their markers too
            for i in range(len(tail) - 1):
                if tail[i] == 0xFF and tail[i + 1] not in (0x00,) and not 0xD0 <= tail[i + 1] <= 0xD7:
                    segments.append((tail[i + 1], b""))
            return segments
        pos += 2 + length
    return segments


def assert_pixels_only(data: bytes) -> None:
    for needle in MARKER_BYTES:
        assert needle not in data, needle
    for marker, payload in jpeg_segments(data):
        if marker == 0xE0:
            assert payload == JFIF_PLAIN, payload
        else:
            assert marker in IMAGE_MARKERS, hex(marker)  # no APPn, COM (0xFE) or other


@pytest.mark.parametrize("name", sorted(UPLOADS))
def test_re_encoded_photo_and_thumbnail_carry_no_metadata(name):
    upload = UPLOADS[name]()
    assert MARKER.encode("utf-8") in upload or name.startswith(("png", "webp")), \
        "the upload carries the marker"  # (compressed in zTXt / inside RIFF chunks otherwise)
    processed = photos.process(upload)
    assert_pixels_only(processed.full)
    assert_pixels_only(processed.thumb)
    assert (processed.width, processed.height) == (64, 48)
    with Image.open(io.BytesIO(processed.full)) as again:
        assert set(again.info) <= {"jfif", "jfif_version", "jfif_unit", "jfif_density",
                                   "progressive", "progression"}, again.info


def world_of(app):
    """A unit, an inspector with an API token and a fresh inspection of the unit."""
    store = app.extensions["store"]
    unit_service.add_unit(store, "NT", "Xã Nông Thượng")
    accounts.create_user(store, "lead", "inspector", password=PASSWORD)
    lead = service.scope_for(store, store.get_user("lead"))
    inspection = service.start(store, app.extensions["checklists"], lead, commands.StartRequest(
        unit="NT", checklist="cchc-xa", period="2025", kind="inspection"))
    return {"store": store, "id": inspection.id, "lead": lead,
            "token": accounts.issue_token(store, "lead", "tests")}


@pytest.fixture
def world(app):
    return world_of(app)


def test_served_photo_and_thumbnail_carry_no_comment(app, client, world):
    result = photos.attach_to_answer(world["store"], world["lead"], world["id"], "1.6",
                                     jpeg_with_comment_only(), str(uuid.uuid4()))
    assert result.photo is not None and not result.replayed
    login(client, "lead")
    url = f"/inspections/{world['id']}/photos/{result.photo_id}"
    for variant in ("", "?variant=thumb"):
        response = client.get(url + variant)
        assert response.status_code == 200 and response.mimetype == "image/jpeg"
        assert_pixels_only(response.data)


def png_bomb(width: int, height: int) -> bytes:
    """A 1-bit greyscale PNG of ``width`` × ``height`` black pixels, built row by row."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    packer = zlib.compressobj(9)
    row = b"\x00" * (1 + (width + 7) // 8)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


@pytest.mark.parametrize("width, height", [(7745, 7745), (20000, 20000)])
def test_a_png_bomb_is_refused_from_its_header_quickly(width, height):
    bomb = png_bomb(width, height)
    assert len(bomb) < 64 * 1024
    started = time.perf_counter()
    with pytest.raises(Invalid) as refused:
        photos.process(bomb)
    assert time.perf_counter() - started < 0.5
    assert refused.value.message == "the photo has more than 40 megapixels; take it or save " \
                                    "it at a lower resolution"


def test_a_60_megapixel_png_of_7_kb_takes_no_memory(tmp_path):
    """Peak RSS of a worker process before and after the refusal (ru_maxrss, in KB)."""
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_bomb(7745, 7745))  # 59,98 megapixels
    assert bomb.stat().st_size < 8 * 1024
    script = (
        "import resource, sys\n"
        "from inspect_app.services import Invalid, photos\n"
        "data = open(sys.argv[1], 'rb').read()\n"
        "photos.process(open(sys.argv[2], 'rb').read())  # warm up the decoders\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "try:\n    photos.process(data)\nexcept Invalid as exc:\n    print(exc.message)\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)\n")
    small = tmp_path / "small.jpg"
    small.write_bytes(jpeg_with_comment_only())
    result = subprocess.run([sys.executable, "-c", script, str(bomb), str(small)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    message, grown_kb = result.stdout.splitlines()
    assert "more than 40 megapixels" in message
    assert int(grown_kb) < 10 * 1024, f"peak RSS grew by {int(grown_kb) // 1024} MB"


def _png(size) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 40)).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize("lang, message", [
    ("vi", "ảnh có hơn 1 megapixel; hãy chụp hoặc lưu ảnh ở độ phân giải thấp hơn"),
    ("en", "the photo has more than 1 megapixels; take it or save it at a lower resolution"),
])
def test_the_api_refuses_more_pixels_than_the_setting_in_the_users_language(tmp_path, lang,
                                                                             message):
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "data"), "DEFAULT_LOCALE": lang,
                      "SECRET_KEY": "test-secret", "PHOTO_MAX_PIXELS": 1_000_000})
    made = world_of(app)
    headers = {"Authorization": f"Bearer {made['token']}"}
    url = f"/api/v1/inspections/{made['id']}/answers/1.6/photos"
    client = app.test_client()
    too_big = client.post(url, headers=headers, data={"op_id": str(uuid.uuid4()),
                                                      "photo": (io.BytesIO(_png((1001, 1000))), "p.png")})
    assert too_big.status_code == 400, too_big.get_data(as_text=True)
    assert too_big.get_json()["error"] == message
    assert not list((Path(app.config["DATA_DIR"]) / "photos").rglob("*.jpg"))
    fits = client.post(url, headers=headers, data={"op_id": str(uuid.uuid4()),
                                                   "photo": (io.BytesIO(_png((1000, 1000))), "p.png")})
    assert fits.status_code == 201, fits.get_data(as_text=True)


def test_a_large_jpeg_is_decoded_at_a_reduced_scale():
    out = io.BytesIO()
    Image.new("RGB", (3400, 2550), (200, 10, 10)).save(out, "JPEG", quality=50)
    processed = photos.process(out.getvalue(), max_side=1600)
    assert (processed.width, processed.height) == (1600, 1200)


def _legacy_jpeg() -> bytes:
    """A photo as the app stored it before comments were dropped: JFIF, COM, pixels."""
    out = io.BytesIO()
    _picture().save(out, "JPEG", quality=82, optimize=True, progressive=True,
                    comment=MARKER.encode("utf-8"))
    return out.getvalue()


def test_a_photo_stored_with_a_comment_is_served_without_it(client, world):
    """Photos re-encoded by earlier versions keep the upload's comment on disk: the
    photo route strips it (losslessly) and answers conditional requests as before."""
    store = world["store"]
    photo_id = photos.attach_to_answer(store, world["lead"], world["id"], "1.6",
                                       _legacy_jpeg(), str(uuid.uuid4())).photo_id
    legacy = _legacy_jpeg()
    store.save_photo(photo_id, legacy, "full")  # as if stored by the earlier version
    assert MARKER.encode("utf-8") in store.photo_path(photo_id, "full").read_bytes()
    login(client, "lead")
    response = client.get(f"/inspections/{world['id']}/photos/{photo_id}")
    assert response.status_code == 200
    assert_pixels_only(response.data)
    with Image.open(io.BytesIO(response.data)) as served, Image.open(io.BytesIO(legacy)) as kept:
        assert served.tobytes() == kept.tobytes()  # the very same pixels
    again = client.get(f"/inspections/{world['id']}/photos/{photo_id}",
                       headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert "private" in response.headers["Cache-Control"] and "public" not in response.headers["Cache-Control"]


@pytest.mark.parametrize("data", [b"", b"not a jpeg", b"\xff\xd8\xff\xfe\xff\xff", b"\xff\xd8"])
def test_without_metadata_leaves_what_it_cannot_read_alone(data):
    assert photos.without_metadata(data) == data
