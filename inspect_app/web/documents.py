"""Print-ready documents of an inspection (DESIGN §9, DOMAIN §2.2 and §5).

* ``/inspections/<id>/minutes`` — biên bản kiểm tra (or biên bản tự kiểm tra).
* ``/inspections/<id>/plan`` — kế hoạch khắc phục tồn tại, hạn chế, with the
  11-column appendix on landscape pages.
* ``/inspections/<id>/appraisal-result`` — kết quả thẩm định of a PAR-index assessment
  (DESIGN §10): self / round 1 / round 2 / final per criterion, the gap, the requests
  to explain and the unit's explanations, as far as the reader may see the rounds.
* ``/inspections/<id>/minutes.pdf`` and ``/inspections/<id>/plan.pdf`` — the same
  content as PDF files made on the server (:mod:`inspect_app.exports.pdf`).

Official documents are always in Vietnamese, whatever the interface language,
so the document text here and in ``templates/documents/`` is literal Vietnamese;
only the toolbar around the sheet is translated. Access is the inspection
view's: a record the user may not see is a 404.

The view functions only gather the records (:func:`gather`); the content itself is
built in :mod:`inspect_app.exports.documents`.
"""
from __future__ import annotations

import dataclasses
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, url_for

from ..domain.assessment import visible_rounds
from ..domain.models import Inspection
from ..exports.documents import (
    Sources,
    appraisal_content,
    minutes_content,
    plan_content,
    preview_items,
)
from ..services import ServiceError, assessments, clock
from ..services import inspections as service
from . import province
from .auth import roles_required, scope, store

bp = Blueprint("documents", __name__, url_prefix="/inspections")


def _self_check_card(inspection: Inspection) -> dict[str, Any] | None:
    """The unit's own score for the same checklist and period, if the user may see one
    (the same self-check the comparison screen shows)."""
    if inspection.kind != "inspection":
        return None
    other = service.counterpart(store(), scope(), inspection)
    record = store().get_inspection(other.id) if other is not None else None
    return service.card_dict(record) if record is not None else None


def _as_appraised(inspection: Inspection) -> tuple[Inspection, dict[str, Any] | None]:
    """An assessment as its documents read it, with the unit's self-score beside: final,
    the record itself (its final card) and the frozen self card; under appraisal, the
    newest round the reader may see (the unit never sees a round in progress) in place of
    the answers, so that a draft's figures and shortcomings are the appraisal's so far."""
    if inspection.status == "finalized":
        return inspection, inspection.cards.get("self")
    own = service.card_dict(inspection)
    seen = visible_rounds(inspection, scope().is_assessed_unit(inspection))
    if not seen:
        return inspection, None
    return dataclasses.replace(inspection, answers=inspection.rounds.get(seen[-1]) or {}), own


def gather(inspection_id: str, appraised: bool = True) -> Sources:
    """Load an inspection the user may see (404 otherwise) and everything around it; an
    assessment as its minutes and plan read it (``appraised``, :func:`_as_appraised`) or
    as it is stored (the appraisal result reads every round itself)."""
    try:
        inspection = service.load(store(), scope(), inspection_id)
    except ServiceError:
        abort(404)
    config = current_app.config
    names = province.settings()
    tz = config.get("TIMEZONE") or clock.DEFAULT_TZ
    today = clock.today(tz)
    checklist = service.checklist_of(inspection)
    users = {u.username: u for u in store().list_users()}
    preview = inspection.status != "finalized"
    self_card = _self_check_card(inspection)
    if inspection.kind == "assessment" and appraised:
        inspection, self_card = _as_appraised(inspection)
    items = preview_items(inspection, today) if preview else list(inspection.items)
    return Sources(
        inspection=inspection, checklist=checklist, card=service.card_dict(inspection),
        unit=store().get_unit(inspection.unit), items=items, today=today, tz=tz,
        superior_body=names.superior_body, inspecting_body=names.inspecting_body,
        representatives=service.representatives(store(), inspection),
        users=users, self_card=self_card, preview=preview,
    )


def _record_url(inspection_id: str) -> str:
    return province.public_url_for("inspections.view", inspection_id=inspection_id)


@bp.get("/<inspection_id>/minutes")
@roles_required()
def minutes(inspection_id: str):
    """The printable minutes (biên bản kiểm tra)."""
    src = gather(inspection_id)

    def photo_url(photo_id: str) -> str:
        return url_for("inspections.photo", inspection_id=inspection_id, photo_id=photo_id,
                       variant="thumb")

    doc = minutes_content(src, record_url=_record_url(inspection_id), url_for_photo=photo_url)
    return render_template("documents/minutes.html", doc=doc, inspection=src.inspection)


@bp.get("/<inspection_id>/plan")
@roles_required()
def plan(inspection_id: str):
    """The printable remediation plan (kế hoạch khắc phục) with its appendix."""
    src = gather(inspection_id)
    doc = plan_content(src, record_url=_record_url(inspection_id))
    return render_template("documents/plan.html", doc=doc, inspection=src.inspection)


@bp.get("/<inspection_id>/appraisal-result")
@roles_required()
def appraisal_result(inspection_id: str):
    """The printable appraisal result (kết quả thẩm định) of an assessment; another kind
    of record has none (404)."""
    src = gather(inspection_id, appraised=False)
    if src.inspection.kind != "assessment":
        abort(404)
    parts = assessments.assessment_parts(src.inspection, scope())
    doc = appraisal_content(src, cards=parts["scores"], asked=parts["requests"],
                            record_url=_record_url(inspection_id))
    return render_template("documents/appraisal.html", doc=doc, inspection=src.inspection)


def _pdf(data: bytes, name: str) -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.cache_control.private = True
    response.cache_control.no_store = True
    return response


def _file_name(kind: str, src: Sources) -> str:
    """An ASCII file name: bien-ban-<unit>-<period>.pdf (unit codes are letters and digits)."""
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in
                   f"{src.inspection.unit}-{src.inspection.period}")
    return f"{kind}-{safe}.pdf"


@bp.get("/<inspection_id>/minutes.pdf")
@roles_required()
def minutes_pdf(inspection_id: str):
    """The minutes as a PDF file made on the server (photos stay in the print view)."""
    src = gather(inspection_id)
    doc = minutes_content(src, record_url=_record_url(inspection_id),
                          url_for_photo=lambda photo_id: "")
    from ..exports import pdf  # fpdf (and numpy with it): loaded by the first PDF asked for

    return _pdf(pdf.minutes_pdf(doc), _file_name("bien-ban", src))


@bp.get("/<inspection_id>/plan.pdf")
@roles_required()
def plan_pdf(inspection_id: str):
    """The remediation plan with its appendix as a PDF file made on the server."""
    src = gather(inspection_id)
    doc = plan_content(src, record_url=_record_url(inspection_id))
    from ..exports import pdf

    return _pdf(pdf.plan_pdf(doc), _file_name("ke-hoach", src))
