"""The audit log as a workbook (``/audit/audit.xlsx``): one sheet, one row per entry,
newest first, Vietnamese headers; every text cell goes through
:func:`inspect_app.exports.xlsx.write` (so a user name or value that looks like a formula
stays text)."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from ..domain.messages import N_
from ..domain.models import AuditEntry
from ..i18n import translate
from ..services import audit
from ..services.clock import DEFAULT_TZ
from .workbook import Column, Report, Row, Sheet


def change_lines(entry: AuditEntry, locale: str = "vi") -> str:
    """The fields an entry names, one line each: ``Field: before → after``."""
    def t(message: Any) -> str:
        return translate(message, locale)

    lines = []
    for change in audit.changes(entry):
        label = t(audit.field_label(change.field))
        if entry.before is None:
            lines.append(f"{label}: {t(audit.shown(change.after, change.field))}")
        elif entry.after is None:
            lines.append(f"{label}: {t(audit.shown(change.before, change.field))}")
        else:
            lines.append(f"{label}: {t(audit.shown(change.before, change.field))} → "
                         f"{t(audit.shown(change.after, change.field))}")
    return "\n".join(lines)


def report(entries: Iterable[AuditEntry], locale: str = "vi", tz: str = DEFAULT_TZ) -> Report:
    """The sheet of ``entries`` (in the order given)."""
    def t(message: Any) -> str:
        return translate(message, locale)

    sheet = Sheet("audit", t(N_("Audit log")), (
        Column(t(N_("When"))), Column(t(N_("Who"))), Column(t(N_("Admin action"))),
        Column(t(N_("Action code"))), Column(t(N_("Target")), "wrap"),
        Column(t(N_("Changes (before → after)")), "wrap")), freeze_columns=1)

    def rows() -> Iterator[tuple[str, Row]]:
        for entry in entries:
            yield "audit", Row([audit.when(entry, tz), entry.by, t(audit.action_label(entry.action)),
                                entry.action, entry.target, change_lines(entry, locale)])

    return Report([sheet], rows)
