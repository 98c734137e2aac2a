"""QR codes as SVG (the ``qrcode`` library's single-path SVG image).

Two shapes of the same code:

* :func:`svg` — markup to put inline in an HTML page (printed minutes, the door
  sheet, the join screen): no XML declaration, no fixed width or height, only a
  ``viewBox``, so the page's CSS decides how big it prints.
* :func:`svg_document` — a standalone ``image/svg+xml`` file with a physical size
  in millimetres, for ``<img src>`` or download (``web/qr.py: svg_response`` sends it).

The markup is generated here from data we pass in (a URL); the data itself is
encoded in the QR modules, never copied into the SVG as text, which is why
templates may mark the result ``|safe``.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

import qrcode
import qrcode.image.svg
from qrcode.constants import ERROR_CORRECT_M

SVG_MIMETYPE = "image/svg+xml"


def _image(data: str, box_size: int, border: int):
    # Medium error correction survives a smudged or creased printout; fit=True picks the
    # smallest version that holds the data, so long URLs simply give a denser code.
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=border,
                         image_factory=qrcode.image.svg.SvgPathFillImage)
    code.add_data(data)
    code.make(fit=True)
    return code.make_image()


def _element(data: str, box_size: int, border: int) -> ET.Element:
    root = _image(data, box_size, border).get_image()
    for path in root.iter("path"):
        # The library names its path id="qr-path"; several codes on one page (the door
        # sheet) would repeat that id, so drop it.
        path.attrib.pop("id", None)
    root.set("shape-rendering", "crispEdges")  # sharp module edges when scaled
    return root


def svg(data: str, *, box_size: int = 10, border: int = 4, label: str = "QR") -> str:
    """Inline SVG markup of a QR code encoding ``data``, scalable by CSS.

    ``label`` becomes the accessible name (``aria-label``); keep it short.
    ``border`` is the quiet zone in modules (4 is what scanners expect).
    """
    root = _element(data, box_size, border)
    root.attrib.pop("width", None)
    root.attrib.pop("height", None)
    root.attrib.pop("version", None)
    root.set("class", "qr")
    root.set("role", "img")
    root.set("aria-label", label)
    root.set("preserveAspectRatio", "xMidYMid meet")
    return ET.tostring(root, encoding="unicode")


def svg_document(data: str, *, box_size: int = 10, border: int = 4) -> bytes:
    """A standalone SVG file (UTF-8, with XML declaration) sized in millimetres.

    ``box_size`` 10 makes one module 1 mm, so a typical URL prints about 3–4 cm wide.
    """
    root = _element(data, box_size, border)
    body = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8")


def matrix(data: str, *, border: int = 4) -> list[list[bool]]:
    """The modules of the QR code encoding ``data`` (True: dark), quiet zone included,
    for drawing it without SVG (the server-made PDF)."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=border)
    code.add_data(data)
    code.make(fit=True)
    return code.get_matrix()
