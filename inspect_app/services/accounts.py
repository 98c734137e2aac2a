"""Users, passwords, API tokens and login throttling."""
from __future__ import annotations

import functools
import hashlib
import json
import re
import secrets
import unicodedata
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

from werkzeug.security import check_password_hash, generate_password_hash

from ..domain.dates import day_month_year
from ..domain.messages import N_, Message
from ..domain.models import ROLES, ApiToken, User
from ..domain.text import ID_TEXT, SHORT_TEXT, TextProblem, check_password_text, clean_text, nfc
from ..storage import AlreadyExists, CannotStore, NotFound, Store
from . import Conflict, Forbidden, Invalid, Missing, Throttled, audit, clock
from .commands import UserEdit
from .units import typed_code

USERNAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]{1,39}")
MIN_PASSWORD = 8
TOKEN_PREFIX = "insp_"
#: A token is named in URLs (to revoke it) by this many leading hex digits of its hash:
#: nothing that lets anybody use it, and unique among one user's tokens in practice.
TOKEN_ID_LENGTH = 16
#: Passwords refused whatever their length: the most common ones (international lists
#: and Vietnamese habits), compared lower-cased. Length matters more than composition
#: (NIST SP 800-63B); this list stops the guesses tried first.
COMMON_PASSWORDS = frozenset({
    "password", "password1", "password123", "passw0rd", "12345678", "123456789",
    "1234567890", "0123456789", "87654321", "11111111", "00000000", "88888888", "66666666",
    "12341234", "11223344", "123123123", "qwertyuiop", "qwerty123", "qwertyui", "1q2w3e4r",
    "1qaz2wsx", "abc12345", "abcd1234", "iloveyou", "sunshine", "princess", "football",
    "baseball", "welcome1", "letmein1", "admin123", "administrator", "matkhau", "matkhau1",
    "matkhau123", "matkhau@123", "123456aa", "a1234567", "aa123456", "anhyeuem", "anhyeuem1",
    "emyeuanh", "vietnam1", "vietnam123", "hanoi123", "saigon123", "changeme", "trustno1",
    "inspect_app", "zxcvbnm1", "asdfghjk", "asdfghjkl",
})
#: The alphabet of generated one-time passwords (no 0/O, 1/l/I to misread).
_PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
# Werkzeug's scrypt with its default cost. The test suite lowers the cost (same
# algorithm) so that creating hundreds of users stays fast.
PASSWORD_METHOD = "scrypt"


@functools.cache
def _dummy_hash(method: str) -> str:
    """A hash checked for unknown usernames, so that they cost as much time as wrong
    passwords (made on first use: hashing at import would slow every process start)."""
    return generate_password_hash("not-a-real-password", method=method)


def hash_password(password: str) -> str:
    """A salted scrypt hash (Werkzeug's current default algorithm) of the password in NFKC
    (NIST SP 800-63B): "mật khẩu" typed with precomposed letters (a phone) or with
    combining marks (Unikey's "Unicode tổ hợp") is one password."""
    return generate_password_hash(unicodedata.normalize("NFKC", password), method=PASSWORD_METHOD)


def password_matches(password_hash: str, password: str) -> bool:
    """Whether ``password`` is the one of ``password_hash``, however its accents were
    typed (NFKC); a hash made before passwords were normalised is also tried as typed."""
    normal = unicodedata.normalize("NFKC", password)
    return (check_password_hash(password_hash, normal)
            or (normal != password and check_password_hash(password_hash, password)))


def hash_token(token: str) -> str:
    """API tokens are stored only as their SHA-256 (they are random, so no salt is needed)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def normalize_username(username: str) -> str:
    return nfc((username or "").strip()).lower()


def _clean(value, field: str, label: str, limit: int = SHORT_TEXT, *, name: bool = False) -> str:
    """One line of user text through the one cleaner (a person's ``name`` with its spaces
    made one), or :class:`Invalid` naming it."""
    try:
        return clean_text(value, field=field, label=label, limit=limit, multiline=False,
                          name=name)
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
    if password.strip().lower() in COMMON_PASSWORDS or len(set(password)) < 3:
        raise Invalid(N_("this password is too common or too easy to guess; choose a longer one, "
                         "for example a few words"), field="password", reason="password_common")


def check_role_and_unit(store: Store, role: str, unit: str | None, unit_missing: Message,
                        current: str | None = None) -> str | None:
    """A known role, and a known unit exactly for the ``unit`` role (``unit_missing`` says
    how to give one: a command's option or the page's field); :class:`Invalid` if not. A
    unit merged into another takes no new users (``current``: the unit a user already has,
    kept when other fields of that user change). The unit's stored code (as typed: "nt "
    is NT)."""
    unit = unit.strip() if isinstance(unit, str) else unit
    if role not in ROLES:
        raise Invalid(N_("role must be one of %(roles)s", roles=", ".join(ROLES)), field="role",
                      reason="role")
    if role == "unit":
        if not unit:
            raise Invalid(unit_missing, field="unit",
                          reason="unit_required")
        found = store.get_unit(typed_code(store, unit))
        if found is None:
            raise Invalid(N_("unknown unit %(unit)r", unit=unit), field="unit",
                          reason="unit_unknown")
        if found.merged_into and found.code != current:
            raise Invalid(N_("unit %(unit)s was merged into %(into)s on %(on)s: bind the user "
                             "to %(into)s", unit=unit, into=_named(store, found.merged_into),
                             on=day_month_year(found.merged_on)),
                          field="unit", reason="unit_merged")
        return found.code
    elif unit:
        raise Invalid(N_("only unit users are bound to a unit (role %(role)s is not)", role=role),
                      field="unit", reason="unit_not_allowed")
    return None


def _named(store: Store, code: str) -> str:
    """A unit as a refusal names it: "Xã Mới (N)" (the form takes the code)."""
    found = store.get_unit(code)
    return f"{found.name} ({code})" if found is not None else code


def user_fields(user: User) -> dict:
    """What the audit log keeps of a user: the plain fields, never the password (only
    whether one is set) nor a token."""
    return {"full_name": user.full_name, "position": user.position, "email": user.email,
            "role": user.role, "unit": user.unit, "active": user.active}


def user_version(user: User) -> str:
    """A short digest of what an administrator edits of ``user``: a form carries it, so
    that a form opened before another administrator's change cannot undo it unseen."""
    text = json.dumps(user_fields(user), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def create_user(store: Store, username: str, role: str, *, unit: str | None = None,
                password: str | None = None, full_name: str = "", position: str = "",
                email: str = "", by: str = audit.CLI) -> User:
    """Create a user. A ``unit`` user must name an existing unit; other roles have none.
    ``by`` (a username, or the command line) is who the audit log names."""
    username = normalize_username(_clean(username, "username", N_("Username"), ID_TEXT))
    full_name = _clean(full_name, "full_name", N_("Full name"), name=True)
    position = _clean(position, "position", N_("Position"))
    email = clean_email(email)
    if not USERNAME_RE.fullmatch(username):
        raise Invalid(N_("username must be 2–40 characters: a-z, 0-9, dot, dash or underscore, "
                         "starting with a letter or digit"), field="username", reason="username_format")
    unit = check_role_and_unit(store, role, unit, N_("a unit user needs --unit CODE"))
    if password is not None:
        check_password_rules(password)
    user = User(username=username, role=role, unit=unit if role == "unit" else None,
                password_hash=hash_password(password) if password else "",
                full_name=full_name, position=position, email=email,
                created_at=clock.now_iso())
    with store.atomic():
        try:
            store.add_user(user)
        except AlreadyExists:
            raise Invalid(N_("user %(username)r already exists", username=username),
                          field="username", reason="username_taken") from None
        audit.record(store, by, "user.create", user.username, None, {
            "username": user.username, **user_fields(user),
            "password": audit.SET if password else ""})
    return user


def set_email(store: Store, username: str, email: str, *, by: str = audit.CLI) -> str:
    """Set (or, with ``""``, remove) the address a user's reminders go to."""
    email = clean_email(email)
    previous: list[str] = []

    def change(user: User) -> None:
        previous[:] = [user.email]
        user.email = email
    try:
        with store.atomic():
            store.update_user(normalize_username(username), change)
            audit.record(store, by, "user.edit", normalize_username(username),
                         {"email": previous[0]}, {"email": email})
    except NotFound:
        raise Missing(N_("no user %(username)r", username=username)) from None
    return email


def set_password(store: Store, username: str, password: str, *, must_change: bool = False,
                 was: str | None = None) -> User:
    """Replace a user's password (which ends every session of the user: a session is
    tied to the password hash). ``must_change``: the user must choose another one at
    their next login (a password an administrator set). ``was``: the hash the change was
    checked against; changed meanwhile (an administrator's reset), the change is refused."""
    check_password_rules(password)
    password_hash = hash_password(password)

    def change(user: User) -> User:
        if was is not None and user.password_hash != was:
            raise Invalid(N_("the current password is wrong"), field="current_password",
                          reason="current_password")
        user.password_hash = password_hash
        user.must_change_password = must_change
        return user
    try:
        return store.update_user(normalize_username(username), change)
    except NotFound:
        raise Missing(N_("no user %(username)r", username=username)) from None


def get_user(store: Store, username: str) -> User:
    """The user called ``username``, or :class:`Missing`."""
    user = store.get_user(normalize_username(username or "")[:ID_TEXT])
    if user is None:
        raise Missing(N_("no user %(username)r", username=username))
    return user


def _active_admins(store: Store) -> set[str]:
    return {u.username for u in store.list_users() if u.role == "admin" and u.active}


def edit_user(store: Store, actor: User, username: str, edit: UserEdit) -> User:
    """An administrator changes a user's name, position, role, unit and whether the
    account is active. Nobody disables or demotes themselves, and the last active
    administrator stays one. Disabling ends the user's sessions and API tokens at their
    next request (both are checked against ``active`` on every request)."""
    # the last-administrator check and the write, one at a time: two administrators
    # demoting each other at one moment would both see the other still active
    with store.exclusive("admins"):
        return _edit_user(store, actor, username, edit)


def _edit_user(store: Store, actor: User, username: str, edit: UserEdit) -> User:
    user = get_user(store, username)
    full_name = _clean(edit.full_name, "full_name", N_("Full name"), name=True)
    position = _clean(edit.position, "position", N_("Position"))
    email = clean_email(edit.email)
    role, unit = edit.role, (edit.unit or None)
    unit = check_role_and_unit(store, role, unit, N_("a commune officer needs a unit"),
                               current=user.unit)
    stays_admin = role == "admin" and bool(edit.active)
    if user.role == "admin" and user.active and not stays_admin:
        if user.username == actor.username:
            raise Invalid(N_("you cannot disable your own account or take away your own "
                             "administrator role"), field="role", reason="self_demote")
        if _active_admins(store) <= {user.username}:
            raise Invalid(N_("%(username)s is the last active administrator: make another user "
                             "an administrator first", username=user.username),
                          field="role", reason="last_admin", username=user.username)

    before: dict = {}

    def change(stored: User) -> User:
        if edit.seen is not None and user_version(stored) != edit.seen:
            raise Conflict(N_("%(username)s was changed by another administrator after you "
                              "opened this page: it now shows the current details; make your "
                              "change again"), username=stored.username)
        before.clear()
        before.update(user_fields(stored))
        if stored.active and not edit.active:
            stored.session_epoch += 1  # its sessions end for good, not until re-enabled
        stored.full_name, stored.position, stored.email = full_name, position, email
        stored.role, stored.unit, stored.active = role, unit, bool(edit.active)
        return stored
    try:
        with store.atomic():
            changed = store.update_user(user.username, change)
            action = ("user.edit" if before["active"] == changed.active
                      else "user.enable" if changed.active else "user.disable")
            audit.record(store, actor.username, action, changed.username, before,
                         user_fields(changed))
    except NotFound:
        raise Missing(N_("no user %(username)r", username=username)) from None
    return changed


def one_time_password() -> str:
    """A random password to read out or copy: 3 groups of 4 letters and digits (about
    60 bits), for an administrator's reset; the user must change it at the next login."""
    chars = [secrets.choice(_PASSWORD_ALPHABET) for _ in range(12)]
    return "-".join("".join(chars[i:i + 4]) for i in range(0, 12, 4))


def reset_password(store: Store, actor: User, username: str, password: str | None = None
                   ) -> str:
    """An administrator sets a user's password: the one typed, or a generated one
    (returned, to be shown once). The user must change it at the next login, unless the
    administrator resets their own. Every session of the user ends."""
    user = get_user(store, username)
    if password is None:
        password = one_time_password()
    must_change = user.username != actor.username
    check_password_rules(password)
    with store.atomic():
        set_password(store, user.username, password, must_change=must_change)
        audit.record(store, actor.username, "user.password_reset", user.username, None,
                     {"password": audit.SET, "must_change_password": must_change})
    return password


def change_own_password(store: Store, username: str, current: str, new: str, *,
                        max_failures: int = 10, window_minutes: float = 15) -> User:
    """A user changes their own password, giving the current one. Every other session of
    the user ends (the caller renews the current one with the returned user). Wrong
    current passwords count with the account's failed logins (:func:`authenticate`): a
    session left open on a shared phone is no way round the lock-out."""
    user = get_user(store, username)
    try:
        check_password_text(current, field="current_password")
    except TextProblem:
        current = ""
    count = _count_attempt(store, user.username, max_failures, window_minutes)
    if not (user.password_hash and password_matches(user.password_hash, current or "")):
        _refuse(count, max_failures, window_minutes,
                Invalid(N_("the current password is wrong"), field="current_password",
                        reason="current_password"))
    _forget_attempts(store, user.username)
    if unicodedata.normalize("NFKC", new or "") == unicodedata.normalize("NFKC", current or ""):
        raise Invalid(N_("the new password must differ from the current one"), field="password",
                      reason="password_same")
    check_password_rules(new)
    with store.atomic():  # against the hash checked: a reset meanwhile is never undone
        changed = set_password(store, user.username, new, was=user.password_hash)
        audit.record(store, user.username, "user.password_change", user.username, None,
                     {"password": audit.SET})
    return changed


@dataclass(frozen=True)
class TokenInfo:
    """What a page shows of an API token: never the token itself."""

    id: str
    label: str
    created_at: str
    last_used_at: str | None


def token_id(token: ApiToken) -> str:
    return token.hash[:TOKEN_ID_LENGTH]


def tokens_of(user: User) -> list[TokenInfo]:
    """The user's API tokens, newest first."""
    return sorted((TokenInfo(token_id(t), t.label, t.created_at, t.last_used_at)
                   for t in user.tokens), key=lambda t: t.created_at, reverse=True)


#: At most this many API tokens per user (each is checked on every API request).
MAX_TOKENS = 20


def revoke_token(store: Store, username: str, token: str, *, by: str = audit.CLI) -> TokenInfo:
    """Revoke the user's API token whose id is ``token``: its next request gets 401.
    ``by``: who the audit log names (the user themselves, or an administrator)."""
    user = get_user(store, username)

    def change(stored: User) -> TokenInfo:
        for entry in stored.tokens:
            if token_id(entry) == token:
                stored.tokens.remove(entry)
                return TokenInfo(token_id(entry), entry.label, entry.created_at,
                                 entry.last_used_at)
        raise Missing(N_("no such API token"))
    try:
        with store.atomic():
            revoked = store.update_user(user.username, change)
            audit.record(store, by, "token.revoke", user.username,
                         {"token": revoked.id, "label": revoked.label}, None)
    except NotFound:
        raise Missing(N_("no user %(username)r", username=username)) from None
    return revoked


def issue_token(store: Store, username: str, label: str = "", *, by: str = audit.CLI) -> str:
    """Create an API token for the user and return it; only its hash is kept (and the
    audit log names it by its id and label)."""
    label = _clean(label, "label", N_("Label"))
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    entry = ApiToken(hash=hash_token(token), created_at=clock.now_iso(), label=label)

    def change(user: User) -> None:
        if len(user.tokens) >= MAX_TOKENS:
            raise Invalid(N_("a user has at most %(count)s API tokens: revoke one first",
                             count=MAX_TOKENS), field="label", reason="too_many_tokens",
                          count=MAX_TOKENS)
        user.tokens.append(entry)
    try:
        with store.atomic():
            store.update_user(normalize_username(username), change)
            audit.record(store, by, "token.create", normalize_username(username), None,
                         {"token": token_id(entry), "label": label})
    except NotFound:
        raise Missing(N_("no user %(username)r", username=username)) from None
    return token


def user_for_token(store: Store, token: str, *, record_use_minutes: float = 0) -> User | None:
    """The active user holding ``token``, or None (a revoked token, a disabled user).

    With ``record_use_minutes`` the token's last use is written when the stored one is
    older than that (so a busy client costs one write per period, not one per request);
    0 records nothing."""
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    token_hash = hash_token(token)
    user = store.find_user_by_token(token_hash)
    if not (user and user.active):
        return None
    if record_use_minutes > 0:
        _record_use(store, user, token_hash, record_use_minutes)
    return user


def _record_use(store: Store, user: User, token_hash: str, minutes: float) -> None:
    now = clock.now_iso()
    entry = next((t for t in user.tokens if t.hash == token_hash), None)
    if entry is None or (entry.last_used_at and _older(now, entry.last_used_at) < minutes):
        return

    def change(stored: User) -> None:
        for t in stored.tokens:
            if t.hash == token_hash:
                t.last_used_at = now
    with suppress(CannotStore, NotFound):  # a lost "last used" never refuses a request
        store.update_user(user.username, change)


def _older(now: str, then: str) -> float:
    """Minutes from ``then`` to ``now`` (ISO times); infinite when unreadable."""
    try:
        return (datetime.fromisoformat(now) - datetime.fromisoformat(then)) / timedelta(minutes=1)
    except (TypeError, ValueError):
        return float("inf")


def _throttle_key(username: str) -> str:
    return "login:" + normalize_username(username)


class AccountDisabled(Forbidden):
    """The right password for an account an administrator disabled."""


def _count_attempt(store: Store, username: str, max_failures: int,
                   window_minutes: float) -> int:
    """Record a password attempt on the account *before* the password is checked (see
    :func:`authenticate`); :class:`Throttled` once ``max_failures`` are in the window.
    The number of attempts counted, this one included."""
    key, window, now = _throttle_key(username), window_minutes * 60, clock.epoch()
    too_many = N_("too many failed logins for this account; wait and try again")
    if store.login_failures(key, now, window) >= max_failures:
        raise Throttled(too_many, minutes=window_minutes)
    count = store.record_login_failure(key, now, window)  # CannotStore: no login
    if count > max_failures:  # others failed meanwhile
        raise Throttled(too_many, minutes=window_minutes)
    return count


def _refuse(count: int, max_failures: int, window_minutes: float, refusal: Exception) -> None:
    """A wrong password: ``refusal``, or :class:`Throttled` when it was the last allowed."""
    if count >= max_failures:
        raise Throttled(N_("too many failed logins for this account; wait and try again"),
                        minutes=window_minutes)
    raise refusal


def _forget_attempts(store: Store, username: str) -> None:
    with suppress(CannotStore):
        # The attempt is recorded; if forgetting it fails, it counts as one failure.
        store.clear_login_failures(_throttle_key(username))


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
    count = _count_attempt(store, username, max_failures, window_minutes)
    user = store.get_user(normalize_username(username))
    valid = password_matches(user.password_hash if user and user.password_hash
                             else _dummy_hash(PASSWORD_METHOD), password or "")
    if not (user and user.password_hash and valid):
        _refuse(count, max_failures, window_minutes, Forbidden(N_("wrong username or password")))
    _forget_attempts(store, username)
    if not user.active:  # the right password: saying so tells nothing a guesser could use
        raise AccountDisabled(N_("this account is disabled"))
    return user
