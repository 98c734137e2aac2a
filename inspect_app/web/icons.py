"""The app's icons (favicon, home-screen icons of the web app manifest), drawn with Pillow.

The PNG and ICO files in ``static/icons/`` are made by this module and committed; run
``python -m inspect_app.web.icons`` after changing the drawing to make them again.
"""
from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

ICON_DIR = Path(__file__).resolve().parent.parent / "static" / "icons"
THEME = (0x0b, 0x53, 0x94)  # the top bar's blue (app.css --brand)
SIZES = (192, 512)


def draw(size: int, *, maskable: bool = False) -> Image.Image:
    """A white check mark on the brand blue; a maskable icon keeps it in the safe circle."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    if maskable:
        pen.rectangle((0, 0, size, size), fill=THEME)
        scale = 0.55
    else:
        pen.rounded_rectangle((0, 0, size - 1, size - 1), radius=size // 6, fill=THEME)
        scale = 0.75
    inset = size * (1 - scale) / 2
    points = [(0.18, 0.55), (0.42, 0.78), (0.84, 0.26)]
    line = [(inset + x * size * scale, inset + y * size * scale) for x, y in points]
    pen.line(line, fill="white", width=max(2, round(size * scale * 0.14)), joint="curve")
    return image


def write_all(folder: Path = ICON_DIR) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for size in SIZES:
        for maskable in (False, True):
            path = folder / f"icon-{'maskable-' if maskable else ''}{size}.png"
            draw(size, maskable=maskable).save(path, optimize=True)
            written.append(path)
    favicon = folder / "favicon.ico"
    draw(32).save(favicon, sizes=[(32, 32)])
    written.append(favicon)
    return written


if __name__ == "__main__":
    for path in write_all():
        print(path, path.stat().st_size)
