"""The JSON API under /api/v1 (DESIGN §5).

Authentication: ``Authorization: Bearer <token>`` (no CSRF token needed) or the
browser session, which then needs the CSRF token in ``X-CSRFToken``. Errors
are ``{"error": "...", ...}`` with 400, 401, 403, 404, 409, 413 or 422.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, jsonify, request
from flask_login import current_user

from ..domain.messages import N_
from .i18n import translate
from ..services import ServiceError, accounts, clock
from ..services import inspections as service
from ..services import photos
from ..services import remediation as items
from .auth import scope, store
from .common import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # checked below, only for session (cookie) authentication


class ApiError(Exception):
    def __init__(self, status: int, message: str, **details: Any):
        self.status, self.message, self.details = status, message, details


@bp.before_request
def _authenticate():
    header = request.headers.get("Authorization", "")
    if header:
        kind, _, token = header.partition(" ")
        if kind.lower() != "bearer" or not token.strip():
            raise ApiError(401, N_("use Authorization: Bearer <token>"))
        user = accounts.user_for_token(store(), token.strip())
        if user is None:
            raise ApiError(401, N_("invalid or revoked API token"))
        g.api_user = user
        return None
    if not current_user.is_authenticated:
        raise ApiError(401, N_("log in or send an API token"))
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()  # a cookie session must prove the request came from our pages
    return None


@bp.errorhandler(ApiError)
def _api_error(error: ApiError):
    return jsonify(error=translate(error.message), **error.details), error.status


@bp.errorhandler(ServiceError)
def _service_error(error: ServiceError):
    return jsonify(error=translate(error.message), **_translated(error.details)), error.status


def _translated(details: dict[str, Any]) -> dict[str, Any]:
    """The messages inside an error's details (per-field messages, an answer's problems)
    in the user's language too; ids and records stay as they are."""
    out = dict(details)
    if isinstance(out.get("fields"), dict):
        out["fields"] = {k: translate(v) for k, v in out["fields"].items()}
    if isinstance(out.get("problems"), list):
        out["problems"] = [translate(p) for p in out["problems"]]
    return out


def json_body() -> Any:
    """The request's JSON body, or a 400 that says what is wrong with it."""
    if not request.is_json:
        raise ApiError(400, N_("send a JSON body with Content-Type: application/json"))
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nesting deeper than the parser can follow
        body = None
    if body is None:
        raise ApiError(400, N_("the body is not valid JSON"))
    return body


@bp.post("/inspections")
def create_inspection():
    body = json_body()
    if not isinstance(body, dict):
        raise ApiError(400, N_("the body must be a JSON object"))
    unknown = sorted(set(body) - {"unit", "checklist", "period", "kind", "team", "number", "place",
                                  "another"})
    if unknown:
        raise ApiError(400, N_("unknown field %(field)s", field=repr(unknown[0])[:60]),
                       field=unknown[0])
    team = body.get("team") or []
    if not isinstance(team, list) or not all(isinstance(t, str) for t in team):
        raise ApiError(400, N_("team must be a list of usernames"), field="team")
    another = body.get("another", False)
    if not isinstance(another, bool):
        raise ApiError(400, N_("another must be true or false"), field="another")
    inspection = service.start(
        store(), current_app.extensions["checklists"], scope(), unit=body.get("unit"),
        checklist=body.get("checklist"), period=body.get("period"),
        kind=body.get("kind", "inspection"), team=team,
        number=str(body.get("number") or ""), place=str(body.get("place") or ""),
        another=another, today=clock.today(current_app.config["TIMEZONE"]))
    return jsonify(service.inspection_dict(inspection)), 201


@bp.get("/inspections/<inspection_id>")
def get_inspection(inspection_id: str):
    inspection = service.load(store(), scope(), inspection_id)
    return jsonify(service.inspection_dict(inspection, include_items=True))


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
    status, result = service.save_answer(store(), scope(), inspection_id, criterion_id, json_body())
    return jsonify(result), status


@bp.post("/inspections/<inspection_id>/finalize")
def finalize(inspection_id: str):
    status, result = service.finalize(store(), scope(), inspection_id, json_body())
    return jsonify(result), status


@bp.get("/inspections/<inspection_id>/remediation")
def remediation(inspection_id: str):
    inspection = service.load(store(), scope(), inspection_id)
    return jsonify([service.item_dict(i) for i in inspection.items])


@bp.post("/inspections/<inspection_id>/answers/<criterion_id>/photos")
def add_photo(inspection_id: str, criterion_id: str):
    """Attach a photo: multipart form with ``photo`` (the file) and ``op_id``."""
    upload = request.files.get("photo")
    if upload is None:
        raise ApiError(400, N_("send the image as the multipart field 'photo'"), field="photo")
    status, result = photos.attach_to_answer(
        store(), scope(), inspection_id, criterion_id, upload.read(), request.form.get("op_id"),
        max_side=int(current_app.config["PHOTO_MAX_SIDE"]),
        max_bytes=int(current_app.config["PHOTO_MAX_BYTES"]),
        max_pixels=int(current_app.config["PHOTO_MAX_PIXELS"]))
    return jsonify(result), status


@bp.delete("/inspections/<inspection_id>/answers/<criterion_id>/photos/<photo_id>")
def delete_photo(inspection_id: str, criterion_id: str, photo_id: str):
    answer = photos.remove_from_answer(store(), scope(), inspection_id, criterion_id, photo_id)
    return jsonify(answer=answer), 200


# ---------------------------------------------------------------- remediation items

def _photo_limits() -> dict[str, int]:
    return {"max_side": int(current_app.config["PHOTO_MAX_SIDE"]),
            "max_bytes": int(current_app.config["PHOTO_MAX_BYTES"]),
            "max_pixels": int(current_app.config["PHOTO_MAX_PIXELS"])}


@bp.post("/inspections/<inspection_id>/remediation")
def add_item(inspection_id: str):
    """Add an item by hand: ``{op_id, finding, criterion?, cause?, action?, owner?,
    cooperating?, due?, output?, status?: "no_action", reason?}`` → 201, the item."""
    status, result = items.add_item(store(), scope(), inspection_id, json_body())
    return jsonify(result), status


@bp.get("/remediation/<item_id>")
def get_item(item_id: str):
    _inspection, item = items.locate(store(), scope(), item_id)
    return jsonify(service.item_dict(item))


@bp.patch("/remediation/<item_id>")
def update_item(item_id: str):
    """``{op_id, base_rev, status?, progress_note?, owner?, due?, …}`` → 200, the item; 409
    with ``current`` when the item changed since ``base_rev``."""
    status, result = items.update_item(store(), scope(), item_id, json_body())
    return jsonify(result), status


@bp.post("/remediation/<item_id>/photos")
def item_photo(item_id: str):
    """A progress note with a photo: multipart ``photo``, ``op_id`` and optional ``note``."""
    upload = request.files.get("photo")
    if upload is None:
        raise ApiError(400, N_("send the image as the multipart field 'photo'"), field="photo")
    status, result = items.add_photo(store(), scope(), item_id, upload.read(),
                                     request.form.get("op_id"), request.form.get("note", ""),
                                     **_photo_limits())
    return jsonify(result), status
