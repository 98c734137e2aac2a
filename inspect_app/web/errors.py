"""The one place where a refusal becomes an HTTP status and an error body.

The domain and the services raise the refusals of ``domain/errors.py`` (and storage
raises :class:`~inspect_app.storage.CannotStore` when the disk refuses a write); they
know nothing of status codes. Here each class gets its status (:data:`STATUSES`), its
JSON body under ``/api/`` (``{"error": …, **details}``, the messages translated) or its
page elsewhere, and a log line: refusals at INFO with their class and target, the disk's
refusals at ERROR with the traceback.
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_babel import gettext as _

from ..domain.errors import (
    Conflict,
    Forbidden,
    Invalid,
    Missing,
    Refused,
    Throttled,
    TooLarge,
    Unauthenticated,
    Unprocessable,
)
from ..storage import CannotStore, StoreUnavailable
from .i18n import translate

log = logging.getLogger("inspect_app.web")

#: The status of each kind of refusal (a subclass takes its nearest listed base's).
STATUSES: dict[type[Exception], int] = {
    Invalid: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    Missing: 404,
    Conflict: 409,
    TooLarge: 413,
    Unprocessable: 422,
    Throttled: 429,
    CannotStore: 503,
}
#: Seconds a client is told to wait before retrying a write the disk refused.
RETRY_AFTER_SECONDS = 60


def status_of(error: Exception) -> int:
    """The HTTP status of a refusal (400 for a refusal of no listed kind)."""
    for cls in type(error).__mro__:
        if cls in STATUSES:
            return STATUSES[cls]
    return 400


def _translated(details: dict[str, Any]) -> dict[str, Any]:
    """The messages inside an error's details (per-field messages, an answer's problems)
    in the user's language too; ids and records stay as they are."""
    out = dict(details)
    if isinstance(out.get("fields"), dict):
        out["fields"] = {k: translate(v) for k, v in out["fields"].items()}
    if isinstance(out.get("problems"), list):
        out["problems"] = [translate(p) for p in out["problems"]]
    return out


def error_body(error: Refused) -> dict[str, Any]:
    """The JSON body of a refusal (DESIGN §5): the message in the user's language, then
    the details (``field``, ``criterion``, ``current``, …)."""
    return {"error": translate(error.message), **_translated(error.details)}


def wants_json() -> bool:
    """API requests get JSON errors; pages get an error page."""
    return request.path.startswith("/api/")


def refused_response(error: Refused) -> tuple[Response | str, int]:
    """The response to a refusal a view did not handle itself, logged at INFO."""
    status = status_of(error)
    log.info("refused %s %s %s: %s %s", request.method, request.path, status,
             type(error).__name__, _target(error))
    if wants_json():
        return jsonify(error_body(error)), status
    return render_template("error.html", code=status, title=_("Not done"),
                           message=translate(error.message)), status


def _target(error: Refused) -> str:
    """What a refusal was about, for the log: the ids its details name."""
    keys = ("field", "criterion", "item", "existing", "op_id")
    return " ".join(f"{k}={error.details[k]}" for k in keys
                    if isinstance(error.details.get(k), (str, int)))


def cannot_store_response(error: CannotStore):
    """A write the disk could not take (full, read-only, failing): 503 with a message in
    the user's language; nothing of it was stored, and the client may retry later."""
    what = "database unreachable" if isinstance(error, StoreUnavailable) else "write refused by the disk"
    log.error("%s on %s %s: %s", what, request.method, request.path, error, exc_info=error)
    if wants_json():
        response = jsonify(error=translate(error.message),
                           reason="unavailable" if isinstance(error, StoreUnavailable)
                           else "cannot_store")
    else:
        response = current_app.make_response(render_template(
            "error.html", code=503, title=_("Not saved"), message=translate(error.message)))
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def init_app(app: Flask) -> None:
    """Register the handlers of every refusal and of the disk's refusals."""
    app.register_error_handler(Refused, refused_response)
    app.register_error_handler(CannotStore, cannot_store_response)
