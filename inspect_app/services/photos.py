"""Photo evidence: check that an upload really is an image, re-encode it without
metadata, keep a thumbnail, and attach it to a criterion or a remediation item.

Browsers downscale photos before uploading (long side about 1600 px); the server
does not trust that and re-encodes everything itself, so a file that merely
claims to be a JPEG, or carries GPS data in its EXIF block, never gets stored.
"""
from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

from ..domain import assessment as stages
from ..domain import inspection as rules
from ..domain.access import Scope
from ..domain.messages import N_, criterion_label
from ..domain.models import Answer, Inspection, PhotoRef
from ..storage import Store, new_id
from . import Invalid, clock
from .commands import op_id_of
from .inspections import checklist_of, editable, run_change, run_op

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", "MPO"}
THUMB_SIDE = 320
#: Default of the PHOTO_MAX_PIXELS setting: a 40 MP camera photo decodes to ~120 MB.
MAX_PIXELS = 40_000_000


@dataclass
class ProcessedPhoto:
    """A re-encoded photo: full JPEG, thumbnail JPEG and the full size."""

    full: bytes
    thumb: bytes
    width: int
    height: int


def _megapixels(pixels: int) -> int | float:
    value = round(pixels / 1_000_000, 1)
    return int(value) if value == int(value) else value


def _too_many_pixels(max_pixels: int) -> Invalid:
    return Invalid(N_("the photo has more than %(max)s megapixels; take it or save it at a "
                      "lower resolution", max=_megapixels(max_pixels)), field="photo")


def process(data: bytes, *, max_side: int = 1600, max_bytes: int = 8 * 1024 * 1024,
            max_pixels: int = MAX_PIXELS) -> ProcessedPhoto:
    """Validate and re-encode an uploaded image; :class:`Invalid` says what is wrong.

    The pixel count is read from the header (Pillow opens lazily) and checked against
    ``max_pixels`` before anything is decoded: a 7 KB PNG can claim 60 megapixels and
    would take hundreds of MB to decode. Only the pixels survive the re-encoding: no
    EXIF, XMP, ICC profile, JPEG or GIF comment, PNG text chunk or any other metadata.
    """
    if not data:
        raise Invalid(N_("the photo is empty"), field="photo")
    if len(data) > max_bytes:
        raise Invalid(N_("the photo is larger than %(max)s MB", max=max_bytes // (1024 * 1024)),
                      field="photo")
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb check (89 MP) only warns; ours below is the limit
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:  # reads the header, decodes nothing
                kind = probe.format
                if kind not in ACCEPTED_FORMATS:
                    raise Invalid(N_("unsupported image format %(format)s", format=kind),
                                  field="photo")
                if probe.width * probe.height > max_pixels:
                    raise _too_many_pixels(max_pixels)
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                if image.format in ("JPEG", "MPO"):
                    # decode at 1/2, 1/4 or 1/8 scale when that still covers max_side
                    image.draft("RGB", (max_side, max_side))
                image.load()
                image = ImageOps.exif_transpose(image)  # keep what the camera meant as "up"
                image = _rgb(image)
    except Invalid:
        raise
    except Image.DecompressionBombError:  # more than twice Pillow's own limit
        raise _too_many_pixels(max_pixels) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, MemoryError):
        raise Invalid(N_("the file is not an image that can be read (use JPEG or PNG)"),
                      field="photo") from None
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    full = _jpeg(image, 82)
    thumb_image = image.copy()
    thumb_image.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    return ProcessedPhoto(full=full, thumb=_jpeg(thumb_image, 75), width=image.width,
                          height=image.height)


def _rgb(image: Image.Image) -> Image.Image:
    """The picture as 8-bit RGB the way a viewer shows it: 16- and 32-bit greys (scans)
    scaled down to 8 bits, not clipped to white; transparent parts (a stamp, a signature)
    on white paper, not on black."""
    if image.mode in ("I", "F") or image.mode.startswith("I;16"):
        grey = image.convert("F") if image.mode == "F" else image.convert("I")
        _low, high = grey.getextrema()
        scale = 1 / 257 if (high or 0) > 255 else 1
        image = grey.point(lambda v: v * scale).convert("L")
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (
            image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        paper = Image.new("RGB", rgba.size, (255, 255, 255))
        paper.paste(rgba, mask=rgba.getchannel("A"))
        return paper
    return image.convert("RGB")


def _jpeg(image: Image.Image, quality: int) -> bytes:
    """A fresh encode of the pixels only.

    Pillow writes ``image.info["comment"]`` (a JPEG COM or GIF comment of the upload)
    into a saved JPEG unless told otherwise, so the info is dropped and every metadata
    field is given empty: the file holds the fixed JFIF header and the pixels, nothing else.
    """
    image.info = {}
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=True, progressive=True,
               comment=b"", exif=b"", icc_profile=None, xmp=None)
    return out.getvalue()


_JFIF_PLAIN = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"  # 1.01, 1:1, no thumbnail


def without_metadata(data: bytes) -> bytes:
    """A stored JPEG without comment (COM) and APP1–APP15 segments, losslessly.

    Photos re-encoded before comments were dropped (see :func:`_jpeg`) may still hold the
    upload's JPEG or GIF comment; serving them through this removes it without touching
    the image data. A photo that is already clean comes back as it is.
    """
    if data[:2] != b"\xff\xd8":
        return data
    kept, pos, changed = [data[:2]], 2, False
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xDA:  # start of scan: the image data follows, kept whole
            break
        end = pos + 2 + int.from_bytes(data[pos + 2:pos + 4], "big")
        if end > len(data):
            return data  # not a JPEG this app wrote: leave it alone
        payload = data[pos + 4:end]
        if marker == 0xFE or 0xE1 <= marker <= 0xEF or (marker == 0xE0 and payload != _JFIF_PLAIN):
            changed = True
        else:
            kept.append(data[pos:end])
        pos = end
    if not changed:
        return data
    kept.append(data[pos:])
    return b"".join(kept)


def store_photo(store: Store, processed: ProcessedPhoto) -> str:
    """Write both variants under a new generated id and return it."""
    photo_id = new_id()
    try:
        store.save_photo(photo_id, processed.full, "full")
        store.save_photo(photo_id, processed.thumb, "thumb")
    except BaseException:
        store.delete_photo(photo_id)  # e.g. a full disk after the first file: no orphan
        raise
    return photo_id


def photo_dict(ref: PhotoRef) -> dict[str, Any]:
    return {"id": ref.id, "criterion": ref.criterion, "item": ref.item, "by": ref.by,
            "at": ref.at, "width": ref.width, "height": ref.height}


@dataclass(frozen=True)
class AnswerPhoto:
    """A photo attached to an answer: the photo, the answer after it and the revision
    the upload produced (a replay: the first upload's)."""

    criterion: str
    rev: int
    photo: PhotoRef | None  # None only for a replay whose photo was removed since
    photo_id: str
    answer: Answer | None
    replayed: bool = False


def attach_to_answer(store: Store, scope: Scope, inspection_id: str, criterion_id: str,
                     data: bytes, op_id: Any, *, max_side: int = 1600,
                     max_bytes: int = 8 * 1024 * 1024,
                     max_pixels: int = MAX_PIXELS) -> AnswerPhoto:
    """Add a photo to a criterion's answer (append-only, so no base_rev is needed).

    The files are written before the record refers to them (a crash never leaves a
    reference to a missing file) and removed again if the write is refused or turns
    out to be a retry of an upload already stored.
    """
    editable(store, scope, inspection_id)
    op_id = op_id_of(op_id)
    digest = rules.fingerprint("photo", criterion_id, {"sha256": hashlib.sha256(data).hexdigest()})
    processed = process(data, max_side=max_side, max_bytes=max_bytes, max_pixels=max_pixels)
    photo_id = store_photo(store, processed)
    by = scope.user.username

    def apply(inspection: Inspection, at: str):
        rules.ensure_answers_open(inspection)
        stages.ensure_before_deadline(inspection, "self", clock.today())
        criterion = checklist_of(inspection).criterion(criterion_id)
        if criterion is None:
            raise rules.BadAnswer(N_("%(criterion)s: unknown criterion", criterion=criterion_id),
                                  criterion=criterion_id)
        if criterion.survey:
            raise rules.SurveyScored(N_("%(criterion)s: scored from the sociological survey (its "
                                        "points are imported), not entered here",
                                        criterion=criterion_label(criterion)),
                                     criterion=criterion_id)
        answer = inspection.answers.get(criterion_id) or Answer()
        rules.ensure_room_for_photo(answer, criterion_id, criterion_label(criterion))
        answer.photos.append(photo_id)
        answer.rev += 1
        rules.touch(inspection, answer, by, at)
        inspection.answers[criterion_id] = answer
        ref = PhotoRef(id=photo_id, by=by, at=at, criterion=criterion_id, width=processed.width,
                       height=processed.height, bytes=len(processed.full))
        inspection.photos[photo_id] = ref
        inspection.updated_at = at
        return (AnswerPhoto(criterion_id, answer.rev, ref, photo_id, answer),
                ("p", f"{criterion_id} {photo_id}", answer.rev))

    def rebuild(inspection: Inspection, memo) -> AnswerPhoto:
        criterion, _, first_id = memo.target.rpartition(" ")
        return AnswerPhoto(criterion, memo.rev, inspection.photos.get(first_id), first_id,
                           inspection.answers.get(criterion), replayed=True)

    try:
        result = run_op(store, inspection_id, op_id, digest, apply, rebuild, scope,
                        scope.can_edit)
    except BaseException:
        store.delete_photo(photo_id)
        raise
    if result.photo_id != photo_id:
        store.delete_photo(photo_id)  # a retry: the first upload's photo is the stored one
    return result


def remove_from_answer(store: Store, scope: Scope, inspection_id: str, criterion_id: str,
                       photo_id: str, op_id: Any = None) -> dict[str, Any]:
    """Detach a photo from an answer (the file stays until the record is deleted). With
    ``op_id`` (an extension, as for every write of DESIGN §7), a retry after a lost reply
    answers as the removal did, instead of "no such photo"."""
    editable(store, scope, inspection_id)

    def apply(inspection: Inspection, at: str):
        rules.ensure_answers_open(inspection)
        stages.ensure_before_deadline(inspection, "self", clock.today())
        answer = inspection.answers.get(criterion_id)
        if answer is None or photo_id not in answer.photos:
            raise Invalid(N_("no such photo on this criterion"), field="photo")
        answer.photos.remove(photo_id)
        answer.rev += 1
        rules.touch(inspection, answer, scope.user.username, at)
        inspection.photos.pop(photo_id, None)
        return rules.answer_dict(answer, criterion_id), ("d", f"{criterion_id} {photo_id}",
                                                         answer.rev)

    if op_id is None:
        return run_change(store, inspection_id,
                          lambda inspection: apply(inspection, clock.now_iso())[0])
    digest = rules.fingerprint("photo-removal", criterion_id, {"photo": photo_id})
    return run_op(store, inspection_id, op_id_of(op_id), digest, apply,
                  lambda inspection, memo: rules.answer_dict(
                      inspection.answers.get(criterion_id), criterion_id),
                  scope, scope.can_edit)
