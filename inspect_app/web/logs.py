"""Logging of the app: one logger per package, one line per request.

``inspect_app.web`` (requests, refusals, errors), ``inspect_app.services`` (what the use
cases did: records started and finalized, demo loads) and ``inspect_app.storage`` (the
disk refusing a write) all propagate to ``inspect_app``, whose level is the LOG_LEVEL
setting. Each request gets one INFO line::

    request method=PUT path=/api/v1/inspections/…/answers/1.2 status=200 ms=12.4 user=thanhtra1

the same fields also as attributes of the record (``extra``), for a structured handler.
Refusals (4xx, ``web/errors.py``) are INFO lines naming the error class and its target;
an unhandled error (500) is an ERROR with its traceback.
"""
from __future__ import annotations

import logging
import time

from flask import Flask, g, request, session

log = logging.getLogger("inspect_app.web")
#: The format of the app's own lines when no handler is configured for them.
FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class App(Flask):
    """Flask, with unhandled errors logged on the web logger (method, path, traceback)."""

    def log_exception(self, exc_info) -> None:  # noqa: ANN001 - Flask's signature
        log.error("failed method=%s path=%s", request.method, request.path, exc_info=exc_info)


def _user() -> str:
    """Who made the request, without loading anyone for it: an API token's owner, the
    logged-in user if this request loaded them, else the session's username."""
    api_user = getattr(g, "api_user", None)
    if api_user is not None:
        return api_user.username
    loaded = getattr(g, "_login_user", None)  # Flask-Login keeps the loaded user here
    if loaded is not None and getattr(loaded, "is_authenticated", False):
        return loaded.username
    session_id = session.get("_user_id") or ""
    return session_id.partition(":")[0] or "-"


class SafeText(logging.Filter):
    """Log lines carry text from requests (paths, the targets of refusals): a lone
    surrogate could not be written out at all, and a line break would forge a second
    line. Both come out escaped (``\\ud800``, ``\\n``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        safe = (message.encode("utf-8", "backslashreplace").decode("utf-8")
                .replace("\r", "\\r").replace("\n", "\\n"))
        if safe != message:
            record.msg, record.args = safe, None
        return True


#: The loggers of the app (each gets :class:`SafeText`: filters do not apply to records
#: that only propagate through a logger).
LOGGERS = ("inspect_app", "inspect_app.web", "inspect_app.services", "inspect_app.storage")


def configure(level: str | int) -> None:
    """Set the level of every ``inspect_app`` logger; give them a handler of their own
    (on standard error) only when neither they nor the root logger has one."""
    root = logging.getLogger("inspect_app")
    root.setLevel(level if isinstance(level, int) else str(level).upper())
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, SafeText) for f in logger.filters):
            logger.addFilter(SafeText())
    if not root.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(handler)


def init_app(app: Flask) -> None:
    """The request line of every request, with its duration."""
    configure(app.config["LOG_LEVEL"])

    @app.before_request
    def _start_clock() -> None:
        g._started = time.perf_counter()

    @app.after_request
    def _request_line(response):
        started = getattr(g, "_started", None)
        ms = (time.perf_counter() - started) * 1000 if started is not None else 0.0
        fields = {"method": request.method, "path": request.path,
                  "status": response.status_code, "ms": round(ms, 1), "user": _user()}
        log.info("request method=%(method)s path=%(path)s status=%(status)s ms=%(ms)s "
                 "user=%(user)s", fields, extra=fields)
        return response
