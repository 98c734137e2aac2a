"""The photo folder (``<data_dir>/photos/<id[:2]>/<id>.<variant>.jpg``), shared by the
TinyDB and the memory store."""
from __future__ import annotations

from pathlib import Path

from .files import ensure_dir, valid_id, write_atomic


class PhotoFolder:
    """Photo files ``<root>/<id[:2]>/<id>.<variant>.jpg``, named only by validated ids."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, photo_id: str, variant: str) -> Path | None:
        if not (valid_id(photo_id) and valid_id(variant)):
            return None
        return self.root / photo_id[:2] / f"{photo_id}.{variant}.jpg"

    def delete(self, photo_id: str) -> None:
        """Remove the files of a photo id (all variants); unknown ids are ignored."""
        if not valid_id(photo_id):
            return
        for path in (self.root / photo_id[:2]).glob(f"{photo_id}.*.jpg"):
            path.unlink(missing_ok=True)

    def save(self, photo_id: str, data: bytes, variant: str = "full") -> None:
        """Write the bytes atomically; ValueError for an id or variant that is not
        letters and digits only."""
        path = self._path(photo_id, variant)
        if path is None:
            raise ValueError(f"invalid photo id or variant: {photo_id!r}, {variant!r}")
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError("photo data must be bytes")
        ensure_dir(path.parent)
        write_atomic(path, bytes(data))

    def path(self, photo_id: str, variant: str = "full") -> Path | None:
        """The file of a stored photo, or None (also for an invalid id)."""
        path = self._path(photo_id, variant)
        return path if path is not None and path.is_file() else None
