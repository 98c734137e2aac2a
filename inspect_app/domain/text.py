"""Vietnamese text helpers: NFC normalisation and diacritic folding for search and sorting."""
from __future__ import annotations

import unicodedata

_EXTRA_FOLDS = str.maketrans({"đ": "d", "Đ": "d"})


def nfc(text: str) -> str:
    """The NFC form of ``text`` (what every stored string uses)."""
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Lower-case ``text`` without diacritics, đ → d: "Thiện Nghiệp" → "thien nghiep"."""
    decomposed = unicodedata.normalize("NFD", text.translate(_EXTRA_FOLDS))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().translate(_EXTRA_FOLDS).split())


def sort_key(text: str) -> tuple[str, str]:
    """Sort key that ignores diacritics and case first, then breaks ties on the exact text."""
    return (fold(text), nfc(text))


def matches(query: str, *texts: str) -> bool:
    """True if every word of ``query`` occurs in one of ``texts``, diacritics folded."""
    haystack = " ".join(fold(t or "") for t in texts)
    return all(word in haystack for word in fold(query).split())
