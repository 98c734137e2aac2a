"""The names that differ by province (issue 14 point 5), kept in the data.

The inspecting body ("Sở Nội vụ"), its superior body for document headers
("UBND TỈNH BẮC KẠN", NĐ 30/2020: the line above the issuer), the one-stop centre's
name and the public address used in QR codes and printed links. A value never saved
falls back to the deployment's settings (``INSPECT_INSPECTING_BODY``,
``INSPECT_PROVINCE``, …), so an untouched install behaves as before.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any
from urllib.parse import urlsplit

from .errors import Invalid
from .messages import N_
from .text import SHORT_TEXT, TextProblem, clean_text

#: Longest public address accepted (characters).
URL_TEXT = 300

LABELS = {
    "inspecting_body": N_("Inspecting body"),
    "superior_body": N_("Superior body (line above the inspecting body)"),
    "one_stop_centre": N_("One-stop centre"),
    "public_url": N_("Public address"),
}


@dataclass(frozen=True)
class ProvinceSettings:
    inspecting_body: str = "Sở Nội vụ"
    superior_body: str = ""
    one_stop_centre: str = "Trung tâm Phục vụ hành chính công"
    public_url: str = ""  # empty: the address the page was opened on

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    def merged(self, stored: dict[str, Any] | None) -> ProvinceSettings:
        """These defaults overlaid with the stored values (unknown keys ignored)."""
        names = {f.name for f in fields(self)}
        given = {k: v for k, v in (stored or {}).items() if k in names and isinstance(v, str)}
        return replace(self, **given)


def superior_of(province: str) -> str:
    """The default superior body of a province: "UBND TỈNH BẮC KẠN" (empty without one)."""
    name = (province or "").strip()
    if not name:
        return ""
    if name.casefold().startswith(("tỉnh ", "thành phố ", "tp ", "tp. ")):
        return f"UBND {name.upper()}"
    return f"UBND TỈNH {name.upper()}"


def public_url(value: object) -> str:
    """A public address: empty, or an absolute http(s) URL with a host and no query;
    returned without its trailing slash. Raises :class:`Invalid` naming the field."""
    text = _clean(value, "public_url", URL_TEXT)
    if not text:
        return ""
    try:
        parts = urlsplit(text)
        port_ok = parts.port is None or 0 < parts.port < 65536
    except ValueError:
        parts, port_ok = None, False
    if (parts is None or parts.scheme not in ("http", "https") or not parts.hostname
            or not port_ok or parts.query or parts.fragment or " " in text
            or "?" in text or "#" in text  # a bare "?" or "#" would end every link there
            or parts.username or parts.password):
        raise Invalid(N_("%(field)s must be a web address starting with http:// or https://, "
                         "for example https://cchc.backan.gov.vn", field=LABELS["public_url"]),
                      field="public_url")
    return text.rstrip("/")


def _clean(value: object, field: str, limit: int) -> str:
    try:
        return clean_text(value, field=field, label=LABELS[field], limit=limit, multiline=False)
    except TextProblem as exc:
        raise Invalid(exc.message, field=field) from exc


def validated(values: dict[str, Any]) -> ProvinceSettings:
    """Settings from typed values, each cleaned; the inspecting body is required."""
    body = _clean(values.get("inspecting_body"), "inspecting_body", SHORT_TEXT)
    if not body:
        raise Invalid(N_("%(field)s is required", field=LABELS["inspecting_body"]),
                      field="inspecting_body")
    return ProvinceSettings(
        inspecting_body=body,
        superior_body=_clean(values.get("superior_body"), "superior_body", SHORT_TEXT),
        one_stop_centre=_clean(values.get("one_stop_centre"), "one_stop_centre", SHORT_TEXT),
        public_url=public_url(values.get("public_url")),
    )
