"""An answer in words, in one language: the one function that pages, printed documents
and the Excel workbook use (the pieces come from each criterion type's ``words`` hook,
``inspect_app.domain.criteria``; here they are translated and numbers formatted).
"""
from __future__ import annotations

from typing import Any

from ..domain import criteria
from ..domain.criteria import NO_ANSWER, Shown
from ..domain.messages import Message
from . import formatting, translate
from .formatting import ALL_DECIMALS


def _piece(piece: Any, locale: str) -> str:
    # A number in an answer's words is what someone typed (or sums of it, an option's
    # points): every decimal it has is shown (up to the six an answer may have), never
    # rounded to two (12.345,678 million đồng stayed 12.345,68 in Excel and print).
    if isinstance(piece, Shown):
        if piece.style == "percent":
            return formatting.percent(piece.value, locale)
        if piece.style == "sum":
            return "Σ " + formatting.number(piece.value, locale, ALL_DECIMALS)
        if piece.style == "date":
            return formatting.date(piece.value, locale)
        return formatting.number(piece.value, locale, ALL_DECIMALS)
    if isinstance(piece, Message):
        return translate(piece, locale)
    return str(piece)


def value_words(criterion: Any, answer: Any, line: Any = None, locale: str = "vi") -> str | None:
    """The answer's value alone ("Có", an option's label, "Niêm yết TTHC; Đường dây
    nóng", 88,95%): None when there is none."""
    pieces = criteria.answer_words(criterion, answer, line)
    if not pieces:
        return None
    return "; ".join(_piece(p, locale) for p in pieces)


def rules_words(criterion: Any, locale: str = "vi") -> list[str]:
    """How the criterion's points are given, one line of text each ("≥ 90% → 2")."""
    return ["".join(_piece(p, locale) for p in line) for line in criteria.rules(criterion)]


def inputs_words(criterion: Any, inputs: Any, locale: str = "vi") -> str | None:
    """"Trước hạn: 6.062; Đúng hạn: 48.801", in the checklist's order of inputs."""
    pairs = criteria.input_words(criterion, inputs)
    if not pairs:
        return None
    return "; ".join(f"{label}: {_piece(value, locale)}" for label, value in pairs)


def words(criterion: Any, answer: Any, line: Any = None, locale: str = "vi", *,
          note: bool = True) -> str:
    """Everything an answer says, as one line of plain text: its value, its inputs and
    (``note``) its note — "(no answer)" when there is nothing."""
    get = (answer.get if isinstance(answer, dict) else
           (lambda key: getattr(answer, key, None))) if answer is not None else (lambda key: None)
    parts = [value_words(criterion, answer, line, locale),
             inputs_words(criterion, get("inputs"), locale)]
    text = "; ".join(p for p in parts if p)
    if not text:
        text = translate(NO_ANSWER, locale)
    if note and get("note"):
        text += " — " + str(get("note"))
    return text
