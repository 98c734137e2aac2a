"""Wire size of the 16-criterion section page (III) on a phone: first and later load.

    .venv/bin/python -m bench.bench_wire

An inspection of the shipped ``cchc-xa`` checklist (57 criteria) with every criterion
answered (demo answers) is opened by its inspector through the Flask test client, asking
with ``Accept-Encoding: br, gzip, deflate`` as Chromium does. The first load counts the
page and every file it names (style sheet, scripts, icon, manifest); a later load counts
only what is not kept by the browser: static files are named with their content hash and
sent ``immutable``, so only the page itself travels again. Bytes are the response headers
plus the (compressed) body. The offline pack is what the service worker keeps for the
inspection: every section page, the review, the overview and the inspection's JSON.
"""
from __future__ import annotations

import random
import re
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inspect_app import create_app  # noqa: E402
from inspect_app.services import accounts, commands, demo  # noqa: E402
from inspect_app.services import inspections as service  # noqa: E402
from inspect_app.services import units as unit_service  # noqa: E402

ACCEPT = {"Accept-Encoding": "br, gzip, deflate", "Accept": "text/html,*/*"}
IMMUTABLE = "immutable"


class _Links(HTMLParser):
    """The files a page makes the browser fetch at once (no lazy or data-src images)."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and a.get("rel") in ("stylesheet", "icon", "manifest") and a.get("href"):
            self.urls.append(a["href"])
        elif tag == "script" and a.get("src"):
            self.urls.append(a["src"])
        elif tag == "img" and a.get("src") and a.get("loading") != "lazy":
            self.urls.append(a["src"])


@dataclass
class Load:
    requests: list[tuple[str, int, str]] = field(default_factory=list)  # url, bytes, encoding

    @property
    def total(self) -> int:
        return sum(size for _url, size, _enc in self.requests)


def kept(response) -> bool:
    """Whether the browser keeps the file for later loads (immutable, or a day or more)."""
    control = response.headers.get("Cache-Control", "")
    age = re.search(r"max-age=(\d+)", control)
    return IMMUTABLE in control or bool(age and int(age.group(1)) >= 86400)


def wire_bytes(response) -> int:
    head = f"HTTP/1.1 {response.status}\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in response.headers.items()) + "\r\n"
    return len(head.encode("latin-1", "replace")) + len(response.get_data())


def page_loads(client, path: str) -> tuple[Load, Load]:
    """The first and a later load of ``path``: (url, wire bytes, content encoding) each."""
    first, later = Load(), Load()
    page = client.get(path, headers=ACCEPT)
    assert page.status_code == 200, page.status_code
    html = page.get_data()
    for load in (first, later):
        load.requests.append((path, wire_bytes(page), page.headers.get("Content-Encoding", "")))
    import gzip

    import brotli
    text = {"br": brotli.decompress, "gzip": gzip.decompress}.get(
        page.headers.get("Content-Encoding", ""), lambda b: b)(html).decode("utf-8")
    links = _Links()
    links.feed(text)
    for url in dict.fromkeys(links.urls):
        response = client.get(url, headers=ACCEPT)
        assert response.status_code == 200, (url, response.status_code)
        first.requests.append((url, wire_bytes(response), response.headers.get("Content-Encoding", "")))
        if not kept(response):
            later.requests.append((url, wire_bytes(response), ""))
        response.close()
    return first, later


def offline_pack(client, inspection_id: str, sections: list[str]) -> int:
    """Bytes (uncompressed, as the service worker's cache keeps them) of one inspection."""
    paths = [f"/inspections/{inspection_id}/s/{s}" for s in sections]
    paths += [f"/inspections/{inspection_id}/review", f"/inspections/{inspection_id}",
              f"/api/v1/inspections/{inspection_id}"]
    total = 0
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        total += len(response.get_data())
    return total


def build(folder: Path):
    accounts.PASSWORD_METHOD = "scrypt:1024:8:1"
    app = create_app({"DATA_DIR": str(folder), "SECRET_KEY": "bench", "TESTING": True})
    store, library = app.extensions["store"], app.extensions["checklists"]
    unit_service.add_unit(store, "X001", "Xã Nông Thượng")
    user = accounts.create_user(store, "thanhtra", "inspector", password="bench-password",
                                full_name="Nguyễn Ánh Xuân")
    scope = service.scope_for(store, user)
    inspection = service.start(store, library, scope, commands.StartRequest(
        unit="X001", checklist="cchc-xa", period="2025", kind="inspection"))
    checklist = service.checklist_of(inspection)
    for cid, answer in demo._answers(checklist, "X001", random.Random(1), 1.0).items():
        service.save_answer(store, scope, inspection.id, commands.answer_op(
            cid, {"op_id": str(uuid.uuid4()), "base_rev": 0, **answer}))
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = f"thanhtra:{store.get_user('thanhtra').password_hash[-12:]}"
        session["_fresh"] = True
        session["login_at"] = int(time.time())  # as a login writes it: no cookie rewritten
    return app, client, inspection.id, [s.id for s in checklist.sections]


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        app, client, inspection_id, sections = build(Path(tmp))
        first, later = page_loads(client, f"/inspections/{inspection_id}/s/tthc")
        print("section III (tthc, 16 criteria), all answered, Accept-Encoding: br, gzip")
        for name, load in (("first load", first), ("later load", later)):
            print(f"  {name}: {load.total / 1024:.1f} KB in {len(load.requests)} requests")
            for url, size, enc in load.requests:
                print(f"    {size:>7} B  {enc or '-':<4} {re.sub(r'[0-9a-f]{32}', '<id>', url)}")
        pack = offline_pack(client, inspection_id, sections)
        print(f"offline pack of the 57-criterion inspection: {pack / 1024:.1f} KB "
              f"({len(sections)} sections, review, overview, JSON)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
