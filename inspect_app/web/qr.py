"""Door QR codes (DESIGN §9): one per unit, posted at the commune office's door.

The code encodes ``/units/<code>/door``. Scanning it after login sends a commune
officer of that unit straight to the unit's current self-check (or to the form
that starts one); everyone else lands on the unit's page. The units blueprint
owns ``/units/`` and ``/units/<code>``, so these routes use longer, distinct paths.
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, redirect, render_template, url_for

from ..domain.periods import default_period
from ..domain.units import carrier, unit_order
from ..exports import qr
from ..services import inspections as inspection_service
from ..services.units import typed_code
from . import province
from .auth import roles_required, scope, store
from .common import local_today

bp = Blueprint("qr", __name__)

DOOR_CARDS_PER_PAGE = 8  # 2 × 4 cards of about 85 × 68 mm on an A4 sheet


def svg_response(data: str, *, box_size: int = 10, download_name: str | None = None) -> Response:
    """A response carrying :func:`~inspect_app.exports.qr.svg_document` (private: it may
    name a unit)."""
    response = Response(qr.svg_document(data, box_size=box_size), mimetype=qr.SVG_MIMETYPE)
    response.cache_control.private = True
    response.cache_control.max_age = 3600
    if download_name:
        response.headers["Content-Disposition"] = f'inline; filename="{download_name}"'
    return response


def door_url(code: str) -> str:
    """The absolute URL a unit's door QR code encodes."""
    return province.public_url_for("qr.door", code=code)


#: Cadences whose past period's draft is over: the door does not lead back to it.
SHORT_CADENCES = ("week", "month")


def door_target(code: str) -> str:
    """Where opening the door link leads the acting user (404 when the unit is not theirs);
    the code as typed from the printed card ("nt" is NT)."""
    current = scope()
    code = typed_code(store(), code)
    unit = store().get_unit(code)
    if unit is None:
        abort(404)
    if current.role == "unit":
        if code not in current.unit_codes:
            abort(404)  # a user of another unit learns nothing about this one
        # the door still posted at a commune merged into theirs: their own unit's work,
        # a draft of a commune merged into it included (it is this unit's work now)
        code = carrier(code, store().unit_merges())
        drafts = inspection_service.visible(store(), current, unit=code, kind="self_check",
                                            status="draft", history=True)
        # this period's self-check first, else the newest draft (a year's self-check is
        # often finished early the next year) — but not a past week's or month's draft left
        # unfinished: this week's answers do not go there, the start form proposes this week
        library, today = current_app.extensions["checklists"], local_today()
        usable = []
        for draft in drafts:  # newest first
            checklist = library.get(draft.checklist_id)
            cadence = checklist.period_kind if checklist is not None else None
            current_period = default_period(cadence, "self_check", today)
            if draft.period == current_period:
                return url_for("inspections.view", inspection_id=draft.id)
            if cadence not in SHORT_CADENCES:  # no cadence: any period
                usable.append(draft)
        if usable:
            return url_for("inspections.view", inspection_id=usable[0].id)
        return url_for("inspections.new", kind="self_check", unit=code)
    if current.can_view_unit(code):
        return url_for("units.detail", code=code)
    if current.role == "inspector":
        # An inspector at the door of a unit they have not inspected yet: the unit page
        # would be a 404 for them, but they may start an inspection of any unit — of the
        # unit carrying a merged one's work (a merged unit gets no new records).
        return url_for("inspections.new", kind="inspection",
                       unit=carrier(code, store().unit_merges()))
    abort(404)


@bp.get("/units/<code>/door")
@roles_required()
def door(code: str):
    """The link inside a door QR code."""
    return redirect(door_target(code))


@bp.get("/units/<code>/door-qr.svg")
@roles_required()
def door_svg(code: str):
    """The door QR code of a unit as an SVG file (for anyone who may see the unit)."""
    code = typed_code(store(), code)
    if not scope().can_view_unit(code) or store().get_unit(code) is None:
        abort(404)
    return svg_response(door_url(code), download_name=f"door-{code}.svg")


@bp.get("/qr/door-sheet")
@roles_required("admin", "inspector")
def door_sheet():
    """A printable A4 sheet of door QR codes for every unit, eight to a page, with cut lines."""
    units = sorted((u for u in store().list_units() if not u.merged_into),  # no door of its own
                   key=unit_order)
    cards = [{"unit": u, "url": door_url(u.code), "svg": qr.svg(door_url(u.code), label=u.name)}
             for u in units]
    pages = [cards[i:i + DOOR_CARDS_PER_PAGE] for i in range(0, len(cards), DOOR_CARDS_PER_PAGE)]
    return render_template("documents/door_sheet.html", pages=pages,
                           centre=province.settings().one_stop_centre)
