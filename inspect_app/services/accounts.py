"""Users, passwords, API tokens and login throttling."""
from __future__ import annotations

import functools
import hashlib
import re
import secrets
from contextlib import suppress

from werkzeug.security import check_password_hash, generate_password_hash

from ..domain.messages import N_
from ..domain.models import ROLES, ApiToken, User
from ..domain.text import ID_TEXT, SHORT_TEXT, TextProblem, check_password_text, clean_text, nfc
from ..storage import AlreadyExists, CannotStore, NotFound, Store
from . import Forbidden, Invalid, Missing, Throttled, clock

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
MIN_PASSWORD = 8
TOKEN_PREFIX = "insp_"
# Werkzeug's scrypt with its default cost. The test suite lowers the cost (same
# algorithm) so that creating hundreds of users stays fast.
PASSWORD_METHOD = "scrypt"


@functools.cache
def _dummy_hash(method: str) -> str:
    """A hash checked for unknown usernames, so that they cost as much time as wrong
    passwords (made on first use: hashing at import would slow every process start)."""
    return generate_password_hash("not-a-real-password", method=method)


def hash_password(password: str) -> str:
    """A salted scrypt hash (Werkzeug's current default algorithm)."""
    return generate_password_hash(password, method=PASSWORD_METHOD)


def hash_token(token: str) -> str:
    """API tokens are stored only as their SHA-256 (they are random, so no salt is needed)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def normalize_username(username: str) -> str:
    return nfc((username or "").strip()).lower()


def _clean(value, field: str, label: str, limit: int = SHORT_TEXT) -> str:
    """One line of user text through the one cleaner, or :class:`Invalid` naming it."""
    try:
        return clean_text(value, field=field, label=label, limit=limit, multiline=False)
    except TextProblem as problem:
        raise Invalid(problem.message, field=field, reason="text") from None


#: A plain address, ``name@domain.tld``: what reminders are sent to (no display name, no
#: spaces or angle brackets, so it cannot carry a second header or recipient).
EMAIL_RE = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+")
MAX_EMAIL = 254


def clean_email(value) -> str:
    """An e-mail address as stored (trimmed; the domain in lower case), ``""`` for none,
    or :class:`Invalid` naming the field."""
    text = _clean(value or "", "email", N_("E-mail"), MAX_EMAIL)
    if not text:
        return ""
    if len(text) > MAX_EMAIL or not EMAIL_RE.fullmatch(text):
        raise Invalid(N_("“%(email)s” is not an e-mail address (like name@example.vn)",
                         email=text[:80]), field="email", reason="email")
    local, domain = text.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def check_password_rules(password: str) -> None:
    try:
        check_password_text(password)
    except TextProblem as problem:
        raise Invalid(problem.message, field="password", reason="text") from None
    if len(password or "") < MIN_PASSWORD:
        raise Invalid(N_("password must have at least %(minimum)s characters", minimum=MIN_PASSWORD),
                      field="password",
                      reason="password_short", minimum=MIN_PASSWORD)


def create_user(store: Store, username: str, role: str, *, unit: str | None = None,
                password: str | None = None, full_name: str = "", position: str = "",
                email: str = "") -> User:
    """Create a user. A ``unit`` user must name an existing unit; other roles have none."""
    username = normalize_username(_clean(username, "username", N_("Username"), ID_TEXT))
    full_name = _clean(full_name, "full_name", N_("Full name"))
    position = _clean(position, "position", N_("Position"))
    email = clean_email(email)
    if not USERNAME_RE.match(username):
        raise Invalid(N_("username must be 2–40 characters: a-z, 0-9, dot, dash or underscore, "
                         "starting with a letter or digit"), field="username", reason="username_format")
    if role not in ROLES:
        raise Invalid(N_("role must be one of %(roles)s", roles=", ".join(ROLES)), field="role",
                      reason="role")
    if role == "unit":
        if not unit:
            raise Invalid(N_("a unit user needs --unit CODE"), field="unit",
                          reason="unit_required")
        if store.get_unit(unit) is None:
            raise Invalid(N_("unknown unit %(unit)r", unit=unit), field="unit",
                          reason="unit_unknown")
    elif unit:
        raise Invalid(N_("only unit users are bound to a unit (role %(role)s is not)", role=role),
                      field="unit",
                      reason="unit_not_allowed")
    if password is not None:
        check_password_rules(password)
    user = User(username=username, role=role, unit=unit if role == "unit" else None,
                password_hash=hash_password(password) if password else "",
                full_name=full_name, position=position, email=email,
                created_at=clock.now_iso())
    try:
        store.add_user(user)
    except AlreadyExists:
        raise Invalid(N_("user %(username)r already exists", username=username), field="username",
                      reason="username_taken") from None
    return user


def set_email(store: Store, username: str, email: str) -> str:
    """Set (or, with ``""``, remove) the address a user's reminders go to."""
    email = clean_email(email)
    try:
        store.update_user(normalize_username(username), lambda u: setattr(u, "email", email))
    except NotFound:
        raise Missing(N_("no user %(username)r", username=username)) from None
    return email


def set_password(store: Store, username: str, password: str) -> None:
    """Replace a user's password."""
    check_password_rules(password)
    try:
        store.update_user(normalize_username(username),
                          lambda u: setattr(u, "password_hash", hash_password(password)))
    except NotFound:
        raise Missing(N_("no user %(username)r", username=username)) from None


def issue_token(store: Store, username: str, label: str = "") -> str:
    """Create an API token for the user and return it; only its hash is kept."""
    label = _clean(label, "label", N_("Label"))
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    entry = ApiToken(hash=hash_token(token), created_at=clock.now_iso(), label=label)
    try:
        store.update_user(normalize_username(username), lambda u: u.tokens.append(entry))
    except NotFound:
        raise Missing(N_("no user %(username)r", username=username)) from None
    return token


def user_for_token(store: Store, token: str) -> User | None:
    """The active user holding ``token``, or None."""
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    user = store.find_user_by_token(hash_token(token))
    return user if user and user.active else None


def _throttle_key(username: str) -> str:
    return "login:" + normalize_username(username)


def authenticate(store: Store, username: str, password: str, *, max_failures: int = 10,
                 window_minutes: float = 15) -> User:
    """Check a username and password, counting failures per account across processes.

    After ``max_failures`` failures within the window every attempt is refused
    (even with the right password) until the window has passed.

    Fails closed: the attempt is recorded (as a failure) *before* the password is
    checked, and forgotten again only if it was right. If it cannot be recorded
    (the store raises :class:`~inspect_app.storage.CannotStore`, e.g. a full disk) the
    password is not checked at all and the error propagates, so guesses that cannot
    be counted cannot log in either, and right and wrong passwords get the same answer.
    Recording first also counts guesses sent in parallel to several workers.
    """
    try:  # a name or password that no account can have is wrong, and not worth counting
        username = clean_text(username, field="username", label="", limit=ID_TEXT,
                              multiline=False)
        check_password_text(password)
    except TextProblem:
        raise Forbidden(N_("wrong username or password")) from None
    key = _throttle_key(username)
    window = window_minutes * 60
    now = clock.epoch()
    if store.login_failures(key, now, window) >= max_failures:
        raise Throttled(N_("too many failed logins for this account; wait and try again"),
                        minutes=window_minutes)
    count = store.record_login_failure(key, now, window)  # CannotStore: no login
    if count > max_failures:  # others failed meanwhile
        raise Throttled("too many failed logins for this account; wait and try again",
                        minutes=window_minutes)
    user = store.get_user(normalize_username(username))
    valid = check_password_hash(user.password_hash if user and user.password_hash
                                else _dummy_hash(PASSWORD_METHOD),
                                password or "")
    if not (user and user.password_hash and valid):
        if count >= max_failures:
            raise Throttled(N_("too many failed logins for this account; wait and try again"),
                            minutes=window_minutes)
        raise Forbidden(N_("wrong username or password"))
    if not user.active:
        raise Forbidden(N_("this account is disabled"))
    with suppress(CannotStore):
        # The attempt is recorded; if forgetting it fails, it counts as one failure.
        store.clear_login_failures(key)
    return user
