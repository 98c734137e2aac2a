"""Messages for people, written in the domain and translated at the edge.

A refusal raised by the domain or a service carries a :class:`Message`: a ``str``
whose value is the English text (so logs, the command line and ``in`` checks keep
working), plus its catalogue ``template`` and ``params``. The web layer translates
it into the user's language (``inspect_app.i18n.translate``), formatting numbers the
locale's way and translating nested messages.

Write every user-facing message as ``N_("template with %(name)s", name=value)``:
``N_`` is one of Babel's default extraction keywords, so ``make messages`` finds the
template and the catalogue test checks that it is translated.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class Message(str):
    """English text with its catalogue template and parameters."""

    template: str
    params: dict[str, Any]

    def __new__(cls, template: str, **params: Any) -> Message:
        text = template % params if params else template
        self = super().__new__(cls, text)
        self.template = template
        self.params = params
        return self

    def __reduce__(self):  # pickling (e.g. across processes) keeps the template
        return (_rebuild, (self.template, self.params))


def _rebuild(template: str, params: dict[str, Any]) -> Message:
    return Message(template, **params)


N_ = Message


def joined(parts: Iterable[str], separator: str = "; ") -> Message:
    """Several messages as one, each part translated on its own."""
    parts = list(parts)
    params = {f"p{i}": part for i, part in enumerate(parts)}
    return Message(separator.join(f"%(p{i})s" for i in range(len(parts))), **params)


def criterion_label(criterion: Any) -> str:
    """How a message names a criterion: its number and its text, "1.2 Ban hành …"."""
    text = getattr(criterion, "text", "") or ""
    if len(text) > 80:
        text = text[:79].rstrip() + "…"
    return f"{criterion.id} {text}".strip()
