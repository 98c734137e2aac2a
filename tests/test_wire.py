"""Light on the wire (issue 11, item 8): compression, immutable static files, the favicon,
and the weight of the 16-criterion section page on a phone's first and later load."""
from __future__ import annotations

import re
from pathlib import Path

import brotli
import pytest

from bench import bench_wire

BR = {"Accept-Encoding": "br, gzip, deflate"}


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    """An inspector's session on a fully answered 57-criterion inspection."""
    app, client, inspection_id, sections = bench_wire.build(tmp_path_factory.mktemp("wire"))
    return {"app": app, "client": client, "id": inspection_id, "sections": sections}


def static_url(client, page_path, name):
    html = client.get(page_path).get_data(as_text=True)
    match = re.search(r'(/static/%s\?v=[0-9a-f]{10})"' % re.escape(name), html)
    assert match, f"{name} is not linked with its content hash"
    return match.group(1)


@pytest.mark.parametrize("kind, path, mimetype", [
    ("page", "/inspections/{id}/s/tthc", "text/html"),
    ("json", "/api/v1/inspections/{id}", "application/json"),
    ("css", "static:app.css", "text/css"),
    ("js", "static:fill.js", "text/javascript"),
])
def test_responses_are_compressed(filled, kind, path, mimetype):
    client = filled["client"]
    if path.startswith("static:"):
        path = static_url(client, f"/inspections/{filled['id']}/s/tthc", path[7:])
    url = path.format(id=filled["id"])
    plain = client.get(url)
    packed = client.get(url, headers=BR)
    assert packed.status_code == 200 and packed.mimetype == mimetype
    assert packed.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in packed.headers["Vary"]
    unpacked = brotli.decompress(packed.get_data())
    if kind == "page":  # fresh op_ids on every load: the same page, not the same bytes
        assert unpacked.rstrip().endswith(b"</html>") and abs(len(unpacked) - len(plain.data)) < 50
    else:
        assert unpacked == plain.get_data()
    assert len(packed.get_data()) < len(plain.get_data()) / 2
    assert "Content-Encoding" not in plain.headers  # a client that cannot unpack gets it plain


@pytest.mark.parametrize("name", ["app.css", "fill.js", "queue.js", "icons/favicon.ico"])
def test_static_files_with_their_hash_are_kept_a_year(filled, name):
    client = filled["client"]
    url = static_url(client, f"/inspections/{filled['id']}/s/tthc", name)
    response = client.get(url)
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    # without the hash, or with a stale one, the browser must ask again
    for other in (url.split("?")[0], url.split("?")[0] + "?v=0000000000"):
        assert client.get(other).headers["Cache-Control"] == "no-cache"


def test_favicon(filled):
    response = filled["client"].get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype == "image/x-icon"
    assert response.get_data()[:4] == b"\x00\x00\x01\x00"  # an ICO file


def test_section_page_weight_first_and_later_load(filled):
    """The 16-criterion section (III) is at most 30 KB on a first load, 12 KB later."""
    first, later = bench_wire.page_loads(filled["client"],
                                         f"/inspections/{filled['id']}/s/tthc")
    assert first.total <= 30 * 1024, first.requests
    assert len(first.requests) <= 8, first.requests
    assert later.total <= 12 * 1024, later.requests
    assert [url for url, _size, _enc in later.requests] == [f"/inspections/{filled['id']}/s/tthc"]
    assert all(enc == "br" for url, size, enc in first.requests if size > 2048), first.requests


def test_a_static_file_never_travels_bigger_than_it_is(client):
    """An icon is already packed: brotli would make it bigger, so it goes as it is; an
    immutable (content-hashed) file carries no ETag, nothing ever revalidates it."""
    url = static_url(client, "/login", "icons/favicon.ico")
    response = client.get(url, headers={"Accept-Encoding": "br, gzip"})
    raw = (Path(client.application.static_folder) / "icons" / "favicon.ico").read_bytes()
    assert "Content-Encoding" not in response.headers and response.get_data() == raw
    assert "ETag" not in response.headers
