"""Vietnamese text helpers: NFC normalisation and diacritic folding for search and sorting."""
from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from .messages import N_, Message

_EXTRA_FOLDS = str.maketrans({"đ": "d", "Đ": "d"})


def nfc(text: str) -> str:
    """The NFC form of ``text`` (what every stored string uses)."""
    return unicodedata.normalize("NFC", text)


def nfc_all(value: Any) -> Any:
    """``value`` with every text in it in NFC: a text, the items of a list and the keys
    and values of a mapping (as JSON or a workbook's rows hold them), other values as
    they are. What people send (an NFD "Có" of a macOS or iOS keyboard, a copy-paste)
    then compares equal to what is stored."""
    if isinstance(value, str):
        return nfc(value)
    if isinstance(value, (list, tuple)):
        return [nfc_all(item) for item in value]
    if isinstance(value, Mapping):
        return {nfc_all(key): nfc_all(item) for key, item in value.items()}
    return value


def fold(text: str) -> str:
    """Lower-case ``text`` without diacritics, đ → d: "Thiện Nghiệp" → "thien nghiep"."""
    decomposed = unicodedata.normalize("NFD", text.translate(_EXTRA_FOLDS))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().translate(_EXTRA_FOLDS).split())


def name_key(text: str) -> str:
    """What two names typed by people are compared by (sheet names, column headers): NFC,
    case folded, spaces trimmed and collapsed: "Xếp Loại " and NFD "Xếp loại" are one name."""
    return nfc(" ".join(nfc(text).casefold().split()))


def sort_key(text: str) -> tuple[str, str]:
    """Sort key that ignores diacritics and case first, then breaks ties on the exact text."""
    return (fold(text), nfc(text))


def matches(query: str, *texts: str) -> bool:
    """True if every word of ``query`` occurs in one of ``texts``, diacritics folded."""
    haystack = " ".join(fold(t or "") for t in texts)
    return all(word in haystack for word in fold(query).split())


# ---------------------------------------------------------------- cleaning what people type

#: Limits of user text, in characters after NFC (docs/api.md, "Text limits"): notes,
#: explanations, the texts of remediation items, progress notes, comments and reasons.
LONG_TEXT = 4000
#: Names, positions, addresses, places, document numbers: one line.
SHORT_TEXT = 200
#: Usernames, codes and other identifiers typed by people: one line.
ID_TEXT = 100
#: Passwords (never normalised or stripped; only refused when they cannot be stored).
PASSWORD_TEXT = 1000


class TextProblem(ValueError):
    """A text that cannot be stored; ``message`` (an N_ message) names the field."""

    def __init__(self, message: Message, field: str):
        super().__init__(message)
        self.message = message
        self.field = field


_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # all but \t and \n
_LINE = re.compile("[\t\n]")
_SPACES = re.compile(r"[^\S\n]+")  # every run of spaces but line breaks: tabs, no-break spaces


def one_spaced(text: str) -> str:
    """``text`` with every run of spaces (tabs, no-break spaces, several spaces) as one
    space, line breaks kept: how a name is stored, so that "Xã\u00a0Nông  Thượng" is
    "Xã Nông Thượng" for sorting, searching and telling names apart."""
    return _SPACES.sub(" ", text).strip(" ")


def as_stored(text: str) -> str:
    """``text`` as it is stored and measured: NFC, every line end (a browser sends CR LF)
    as ``\\n``, without the spaces around it. The forms' length checks measure this
    (web/forms.py), as :func:`clean_text` does, so that both count the same characters."""
    return nfc(text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def _refuse(template: str, label: str, field: str, **params: object) -> TextProblem:
    return TextProblem(Message(template, field=label, **params), field)


def clean_text(value: object, *, field: str, label: str, limit: int = LONG_TEXT,
               multiline: bool = True, name: bool = False) -> str:
    """The one cleaner of user text: NFC, line ends as ``\\n``, stripped; refuses what is
    not text, lone UTF-16 surrogates, NUL and other control characters (line breaks and
    tabs are allowed in ``multiline`` text) and text longer than ``limit`` characters.
    A ``name`` (of a unit, of a person) has its spaces :func:`one_spaced` (a tab or a
    no-break space is a space). ``None`` is the empty text. Raises :class:`TextProblem`
    naming ``label``."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _refuse(N_("%(field)s must be text"), label, field)
    if len(value) > 4 * limit:  # far too long whatever NFC does: not worth normalising
        raise TextProblem(_too_long(label, limit, len(value)), field)
    if (found := _SURROGATE.search(value)) is not None:
        raise _refuse(N_("%(field)s contains a broken character (a lone UTF-16 surrogate, "
                         "U+%(code)s)"), label, field, code=f"{ord(found.group()):04X}")
    text = as_stored(value)
    if (found := _CONTROL.search(text)) is not None:
        raise _refuse(N_("%(field)s contains a control character (U+%(code)s) that cannot "
                         "be stored"), label, field, code=f"{ord(found.group()):04X}")
    if name:
        text = one_spaced(text)
    if not multiline and _LINE.search(text):
        raise _refuse(N_("%(field)s must be one line, without line breaks or tabs"), label,
                      field)
    if len(text) > limit:
        raise TextProblem(_too_long(label, limit, len(text)), field)
    return text


def _too_long(label: str, limit: int, length: int) -> Message:
    return N_("%(field)s is longer than %(limit)s characters (%(length)s)", field=label,
              limit=limit, length=length)


def check_password_text(value: object, *, field: str = "password", label: str = "") -> str:
    """A password as typed (not normalised: its hash must match what was set), refused
    when it cannot be stored: not text, a lone surrogate, NUL, or too long."""
    label = label or N_("Password")
    if not isinstance(value, str):
        raise _refuse(N_("%(field)s must be text"), label, field)
    if len(value) > PASSWORD_TEXT:
        raise TextProblem(_too_long(label, PASSWORD_TEXT, len(value)), field)
    if _SURROGATE.search(value) or "\x00" in value:
        raise _refuse(N_("%(field)s contains a character that cannot be stored"), label, field)
    return value


# ---------------------------------------------------------------- uploaded text files

#: Column separators of the CSV files users upload (Excel writes ";" where the decimal
#: separator is a comma), tried in this order.
CSV_DELIMITERS = (",", ";", "\t")


class NotText(ValueError):
    """Bytes that are not text of an encoding :func:`decode_upload` reads; ``byte`` is the
    offset of the first byte that cannot be read."""

    def __init__(self, byte: int):
        super().__init__(f"not UTF-8 text (byte {byte})")
        self.byte = byte


def decode_upload(raw: bytes) -> str:
    """The text of an uploaded file: UTF-8 with or without its BOM (Excel's "CSV UTF-8").
    Anything else — a CSV saved in a Windows code page, UTF-16 — raises :class:`NotText`
    rather than being guessed, so that no letter is silently read wrong."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotText(exc.start) from None


def csv_delimiter(first_line: str, names_columns) -> str:
    """The delimiter of :data:`CSV_DELIMITERS` that makes ``first_line`` the best header:
    ``names_columns(cells)`` says how well (0: not a header); a comma if none does."""
    best = (0, ",")
    for delimiter in CSV_DELIMITERS:
        header = next(csv.reader([first_line], delimiter=delimiter), [])
        score = names_columns(header)
        if score > best[0]:
            best = (score, delimiter)
    return best[1]
