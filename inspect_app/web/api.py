"""The JSON API under /api/v1 (DESIGN §5).

Authentication: ``Authorization: Bearer <token>`` (no CSRF token needed) or the
browser session, which then needs the CSRF token in ``X-CSRFToken``. Errors
are ``{"error": "...", ...}`` with 400, 401, 403, 404, 409, 413 or 422.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, jsonify, request
from flask_login import current_user
from werkzeug.exceptions import BadRequest

from ..domain import assessment as stages
from ..domain import inspection as rules
from ..domain.messages import N_
from ..domain.remediation import as_dict
from ..services import Invalid, Unauthenticated, accounts, assessments, commands, photos
from ..services import inspections as service
from ..services import remediation as items
from .auth import scope, store
from .common import carries_photos, csrf, local_today, photo_limits

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # checked below, only for session (cookie) authentication


@bp.before_request
def _authenticate():
    header = request.headers.get("Authorization", "")
    if header:
        kind, _, token = header.partition(" ")
        if kind.lower() != "bearer" or not token.strip():
            raise Unauthenticated(N_("use Authorization: Bearer <token>"))
        user = accounts.user_for_token(
            store(), token.strip(),
            record_use_minutes=float(current_app.config["TOKEN_USE_MINUTES"]))
        if user is None:
            raise Unauthenticated(N_("invalid or revoked API token"))
        g.api_user = user
        return None
    if not current_user.is_authenticated:
        raise Unauthenticated(N_("log in or send an API token"))
    if current_user.user.must_change_password:  # gated as the pages are (web/auth.py)
        raise Unauthenticated(N_("choose a new password of your own first (on the page "
                                 "“My account”): the one you were given works only once"))
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()  # a cookie session must prove the request came from our pages
    return None


def json_body() -> Any:
    """The request's JSON body, or :class:`Invalid` saying what is wrong with it."""
    if not request.is_json:
        raise Invalid(N_("send a JSON body with Content-Type: application/json"))
    try:  # not silent: a parse failure raises, so a body of `null` is told it is no object
        return request.get_json()
    except (BadRequest, RecursionError):  # RecursionError: nesting deeper than the parser goes
        raise Invalid(N_("the body is not valid JSON")) from None


def _upload() -> bytes:
    upload = request.files.get("photo")
    if upload is None:
        raise Invalid(N_("send the image as the multipart field 'photo'"), field="photo")
    return upload.read()


# ---------------------------------------------------------------- the JSON forms of results

def answer_json(result: service.SaveResult) -> dict[str, Any]:
    """The PUT response: the stored answer, its score-card line and (an extension of
    DESIGN §5) the live ``totals`` of the whole inspection."""
    criterion, card = result.criterion, result.card
    section = card.section(criterion.section)
    progress, section_progress = card.progress(), card.progress(criterion.section)
    return {
        "criterion": criterion.id,
        "rev": result.rev,
        "answer": rules.answer_dict(result.answer, criterion.id),
        "line": card.line(criterion.id).as_dict(),
        "totals": {**{k: v for k, v in card.as_dict().items()
                      if k in ("total", "max", "percent", "band", "bonus", "penalty")},
                   # the criteria that need an answer (ScoreCard.progress), overall and
                   # in the criterion's section
                   "answered": progress.answered, "criteria": progress.total,
                   "section_answered": section_progress.answered,
                   "section_criteria": section_progress.total,
                   "section": section.as_dict() if section else None},
    }


def answer_photo_json(result: photos.AnswerPhoto) -> dict[str, Any]:
    photo = (photos.photo_dict(result.photo) if result.photo
             else {"id": result.photo_id, "criterion": result.criterion})
    return {"criterion": result.criterion, "rev": result.rev, "photo": photo,
            "answer": rules.answer_dict(result.answer, result.criterion)}


# ---------------------------------------------------------------- inspections

@bp.post("/inspections")
def create_inspection():
    inspection = service.start(store(), current_app.extensions["checklists"], scope(),
                               commands.start_request(json_body()),
                               today=local_today())
    return jsonify(service.inspection_dict(inspection)), 201


@bp.get("/inspections/<inspection_id>")
def get_inspection(inspection_id: str):
    current = scope()
    inspection = service.load(store(), current, inspection_id)
    return jsonify(service.inspection_dict(inspection, include_items=True, scope=current))


@bp.get("/inspections/<inspection_id>/changes")
def changes(inspection_id: str):
    """``?since=<rev>[&section=<id>]`` → the answers written after record revision
    ``since`` (an open section polls this to show a team mate's answers), with the
    record's current ``rev``; ``changes`` is empty when nothing changed."""
    since = service.parse_since(request.args.get("since"))
    result = service.changes_since(store(), scope(), inspection_id, since,
                                   section=request.args.get("section") or None)
    response = jsonify(result)
    response.headers["Cache-Control"] = "no-store"  # always asked anew, never kept
    return response


@bp.put("/inspections/<inspection_id>/answers/<criterion_id>")
def put_answer(inspection_id: str, criterion_id: str):
    op = commands.answer_op(criterion_id, json_body())
    return jsonify(answer_json(service.save_answer(store(), scope(), inspection_id, op))), 200


@bp.post("/inspections/<inspection_id>/finalize")
def finalize(inspection_id: str):
    done = service.finalize(store(), scope(), inspection_id, commands.finalize_op(json_body()),
                            today=local_today())
    return jsonify(service.inspection_dict(done.inspection, include_items=True)), 200


# ---------------------------------------------------------------- assessments (DESIGN §10)

@bp.post("/inspections/<inspection_id>/advance")
def advance(inspection_id: str):
    """``{op_id}`` → 200, the assessment at its next stage; 422 listing what blocks it."""
    current = scope()
    done = assessments.advance(store(), current, inspection_id,
                               commands.advance_op(json_body()),
                               today=local_today())
    return jsonify(service.inspection_dict(done.inspection, include_items=True,
                                           scope=current)), 200


@bp.put("/inspections/<inspection_id>/appraisal/<criterion_id>")
def put_appraisal(inspection_id: str, criterion_id: str):
    """``{op_id, base_rev, value?, inputs?, na?, note?, explain?}`` → 200 ``{round,
    criterion, rev, answer, line, totals}``; 409 ``{error, current}``."""
    op = commands.appraisal_op(criterion_id, json_body())
    result = assessments.save_appraisal(store(), scope(), inspection_id, op)
    card = result.card
    return jsonify({"round": result.round, "criterion": result.criterion.id, "rev": result.rev,
                    "answer": rules.answer_dict(result.answer, result.criterion.id),
                    "line": card.line(result.criterion.id).as_dict(),
                    "totals": {k: v for k, v in card.as_dict().items()
                               if k in ("total", "max", "percent", "band", "bonus",
                                        "penalty")}}), 200


@bp.put("/inspections/<inspection_id>/explanations/<criterion_id>")
def put_explanation(inspection_id: str, criterion_id: str):
    """``{op_id, base_rev, text}`` → 200 ``{criterion, rev, explanation}``; 409."""
    op = commands.explanation_op(criterion_id, json_body())
    result = assessments.save_explanation(store(), scope(), inspection_id, op)
    return jsonify({"criterion": result.criterion, "rev": result.rev,
                    "explanation": stages.explanation_dict(result.explanation,
                                                           result.criterion)}), 200


@bp.get("/rankings")
def rankings():
    """``?checklist=ID&period=P[&kind=inspection|self_check|assessment]`` (DESIGN §11)."""
    from ..services import rankings as ranking_service

    query = ranking_service.ranking_query(request.args)
    return jsonify(ranking_service.ranking(store(), scope(), query,
                                           library=current_app.extensions["checklists"],
                                           tz=current_app.config["TIMEZONE"])), 200


@bp.get("/inspections/<inspection_id>/remediation")
def remediation(inspection_id: str):
    inspection = service.load(store(), scope(), inspection_id)
    return jsonify([as_dict(i) for i in inspection.items])


@bp.post("/inspections/<inspection_id>/answers/<criterion_id>/photos")
@carries_photos
def add_photo(inspection_id: str, criterion_id: str):
    """Attach a photo: multipart form with ``photo`` (the file) and ``op_id``."""
    data = _upload()
    result = photos.attach_to_answer(store(), scope(), inspection_id, criterion_id, data,
                                     request.form.get("op_id"), **photo_limits())
    return jsonify(answer_photo_json(result)), 201


@bp.delete("/inspections/<inspection_id>/answers/<criterion_id>/photos/<photo_id>")
def delete_photo(inspection_id: str, criterion_id: str, photo_id: str):
    answer = photos.remove_from_answer(store(), scope(), inspection_id, criterion_id, photo_id,
                                       request.args.get("op_id"))
    return jsonify(answer=answer), 200


# ---------------------------------------------------------------- remediation items

@bp.post("/inspections/<inspection_id>/remediation")
def add_item(inspection_id: str):
    """Add an item by hand: ``{op_id, finding, criterion?, cause?, action?, owner?,
    cooperating?, due?, output?, status?: "no_action", reason?}`` → 201, the item."""
    result = items.add_item(store(), scope(), inspection_id, commands.new_item(json_body()))
    return jsonify(as_dict(result.item)), 201


@bp.get("/remediation/<item_id>")
def get_item(item_id: str):
    _inspection, item = items.locate(store(), scope(), item_id)
    return jsonify(as_dict(item))


@bp.patch("/remediation/<item_id>")
def update_item(item_id: str):
    """``{op_id, base_rev, status?, progress_note?, owner?, due?, …}`` → 200, the item; 409
    with ``current`` when the item changed since ``base_rev``."""
    result = items.update_item(store(), scope(), commands.item_change(item_id, json_body()))
    return jsonify(as_dict(result.item)), 200


@bp.post("/remediation/<item_id>/photos")
@carries_photos
def item_photo(item_id: str):
    """A progress note with a photo: multipart ``photo``, ``op_id`` and optional ``note``."""
    data = _upload()
    body = {"op_id": request.form.get("op_id")}
    if request.form.get("note"):
        body["progress_note"] = request.form["note"]
    result = items.update_item(store(), scope(), commands.item_change(item_id, body), photo=data,
                               **photo_limits())
    return jsonify(as_dict(result.item)), 201
