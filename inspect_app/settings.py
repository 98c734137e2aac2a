"""Every setting of inspect_app, with its default and help text.

Each can be given as an environment variable ``INSPECT_<NAME>`` (Flask's
``from_prefixed_env("INSPECT")``; values are read as JSON when they parse, so
``INSPECT_LOGIN_MAX_FAILURES=5`` is the number 5). ``docs/settings.md`` lists
them and a test checks that the two agree.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask

PROJECT_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Setting:
    """One configuration value: its name (without the INSPECT_ prefix), default and meaning."""

    name: str
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("DATA_DIR", None,
            "Folder for all data and photos. Default: the Flask instance folder "
            "(instance/ beside the package)."),
    Setting("DATABASE_URL", "",
            "Where records are kept. Empty: the embedded TinyDB store in DATA_DIR/store. "
            "memory: keeps them in the process's memory only, lost when it stops (tests "
            "and trials; one process only). postgresql://USER:PASSWORD@HOST:PORT/DATABASE: "
            "the PostgreSQL store in that database, for several app servers (its tables are "
            "created or upgraded at start; see docs/deployment.md)."),
    Setting("DATABASE_POOL_SIZE", 8,
            "With the PostgreSQL store: the most database connections each worker process "
            "keeps open (give each worker at least its number of threads)."),
    Setting("CHECKLISTS_DIR", str(PROJECT_DIR / "checklists"),
            "Folder of checklist files (*.yaml): the seed. Versions that admins publish in the "
            "app are kept in DATA_DIR/checklists and win over the seed file of the same id."),
    Setting("SECRET_KEY", None,
            "Key that signs sessions and CSRF tokens. Default: a random key created once "
            "and kept in DATA_DIR/secret_key, shared by all worker processes."),
    Setting("DEFAULT_LOCALE", "vi", "Interface language when the user has not chosen one (vi or en)."),
    Setting("TIMEZONE", "Asia/Ho_Chi_Minh", "Time zone for dates, deadlines and overdue items."),
    Setting("MAX_CONTENT_LENGTH", 12 * 1024 * 1024,
            "Largest request body accepted, in bytes (larger requests get 413)."),
    Setting("PHOTO_MAX_BYTES", 8 * 1024 * 1024, "Largest photo upload accepted, in bytes."),
    Setting("PHOTO_FORM_MAX_LENGTH", 40 * 1024 * 1024,
            "Largest request body accepted where photos are sent (photo uploads, the pages' "
            "sections and explanations without JavaScript), in bytes: a photo over "
            "PHOTO_MAX_BYTES is refused with its own message and the answers sent with it "
            "are saved."),
    Setting("PHOTO_MAX_SIDE", 1600, "Photos are re-encoded with their long side at most this many pixels."),
    Setting("PHOTO_MAX_PIXELS", 40_000_000,
            "Largest photo accepted, in pixels (width × height), checked from the file header "
            "before decoding: a small file can claim a huge picture."),
    Setting("LOGIN_MAX_FAILURES", 10,
            "Failed logins for one account within LOGIN_WINDOW_MINUTES before further attempts are refused."),
    Setting("LOGIN_WINDOW_MINUTES", 15, "Window for counting failed logins."),
    Setting("LIVE_POLL_SECONDS", 5,
            "How often an open section page asks for the answers team mates saved, in seconds "
            "(while the server cannot be reached the wait doubles, up to a minute)."),
    Setting("QUEUE_SEND_TIMEOUT_SECONDS", 25,
            "How long the phone waits for the reply to one change it sends, in seconds, "
            "before it counts as no network and sends it again (with the same op_id); a photo "
            "is first given the time it takes to go up at 10 KB/s."),
    Setting("TOKEN_USE_MINUTES", 10,
            "How often an API token's last use is written (at most once per this many minutes "
            "per token); 0 records none."),
    Setting("SESSION_COOKIE_SECURE", False,
            "Send the session cookie over HTTPS only. Set to true behind HTTPS "
            "(requests that arrive over HTTPS always get a Secure cookie)."),
    Setting("TRUSTED_PROXIES", 0,
            "Number of reverse proxies in front of the app whose X-Forwarded-For, -Proto, "
            "-Host, -Port and -Prefix headers are believed (Werkzeug's ProxyFix). Set to 1 "
            "behind one nginx or Caddy that terminates HTTPS; leave 0 when clients connect "
            "directly, or anyone could claim to be on HTTPS."),
    Setting("PROVINCE", "", "Province name shown in headers and printed documents (empty: not shown)."),
    Setting("INSPECTING_BODY", "Sở Nội vụ", "Name of the inspecting body printed on minutes and plans."),
    Setting("LOG_LEVEL", "INFO",
            "Level of the app's log (DEBUG, INFO, WARNING, ERROR): INFO logs one line per "
            "request (method, path, status, milliseconds, user) and every refusal; WARNING "
            "and above only problems (the disk refusing a write, errors with their traceback)."),
    Setting("SMTP_HOST", "",
            "Mail server that reminder e-mails (flask --app inspect_app reminders send) go "
            "through. Empty: no e-mail is sent; the notifications page works without it."),
    Setting("SMTP_PORT", 587, "Port of SMTP_HOST (587 with STARTTLS, 25 without)."),
    Setting("SMTP_USER", "", "User name to log in to the mail server (empty: no login)."),
    Setting("SMTP_PASSWORD", "", "Password of SMTP_USER."),
    Setting("SMTP_FROM", "",
            "Sender address of reminder e-mails, e.g. cchc@snv.example.gov.vn (required "
            "when SMTP_HOST is set)."),
    Setting("SMTP_STARTTLS", True,
            "Switch the mail connection to TLS (STARTTLS) before logging in; false only for "
            "a mail server on the same machine or network."),
    Setting("ESCALATE_AFTER_DAYS", 30,
            "A remediation item overdue by more than this many days is listed as escalated "
            "on the remediation page of the province (admins, viewers and inspectors)."),
    Setting("EXPORT_JOB_KEEP_HOURS", 24,
            "How long a finished background Excel export (its workbook and its job record "
            "under DATA_DIR/jobs/exports/, or in the database with the PostgreSQL store) is "
            "kept for its owner to download, in hours; older ones are removed when the next "
            "export starts."),
    Setting("EXPORT_WORKER_GRACE_SECONDS", 30,
            "With the PostgreSQL store: after this many seconds in the task queue, a queued "
            "export's page says so when no worker runs on any server (none has beaten its "
            "heart in the last minute), instead of waiting in silence."),
    Setting("REMINDER_ATTEMPTS", 4,
            "With the PostgreSQL store: how many times a worker tries a day's queued reminders "
            "when some could not be sent (the mail server refused or was down); each try mails "
            "only those not mailed yet that day."),
    Setting("REMINDER_RETRY_SECONDS", 900,
            "With the PostgreSQL store: how long a worker waits before trying a day's queued "
            "reminders again after some could not be sent."),
    Setting("JOBS_WORKER", "",
            "With the PostgreSQL store: thread runs a worker of the task queue (big exports, "
            "queued reminders) in a thread of each app process, from the first request it "
            "serves; empty: only the workers "
            "started with flask --app inspect_app jobs worker run them (docs/deployment.md). "
            "The embedded store has no queue: its exports run in the process that started "
            "them."),
)


def defaults() -> dict[str, Any]:
    """The default value of every setting."""
    return {s.name: s.default for s in SETTINGS}


def configure(app: Flask, test_config: dict[str, Any] | None = None) -> None:
    """Load defaults, then the environment (or the test mapping), then derive what is left."""
    app.config.from_mapping(defaults())
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        JSON_SORT_KEYS=False,
        WTF_CSRF_TIME_LIMIT=None,
        # A reply sends the session cookie only when the request changed the session, so
        # a late reply to a request made before a login or logout cannot undo it. A login
        # lasts PERMANENT_SESSION_LIFETIME from the moment of logging in.
        SESSION_REFRESH_EACH_REQUEST=False,
    )
    if test_config is None:
        app.config.from_prefixed_env("INSPECT")
    else:
        app.config.update(test_config)

    data_dir = Path(app.config["DATA_DIR"] or app.instance_path)
    data_dir.mkdir(parents=True, exist_ok=True)
    app.config["DATA_DIR"] = str(data_dir)
    app.config["CHECKLISTS_DIR"] = str(Path(app.config["CHECKLISTS_DIR"]))
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _stored_secret(data_dir / "secret_key")


def _stored_secret(path: Path) -> str:
    """A random key kept in ``path`` so that every worker process signs sessions alike."""
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    key = secrets.token_hex(32)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    with open(tmp, "w", encoding="ascii") as handle:
        handle.write(key)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(tmp, 0o600)
    try:
        os.link(tmp, path)  # fails if another process created it first: then use theirs
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_text(encoding="ascii").strip()
