"""Words for the codes the workbook (and the pages) show: kinds, statuses, results.

Plain ``N_`` messages (English ids, extracted by ``make messages``) so that the
exports translate them with :func:`inspect_app.i18n.translate` for the locale they
were given, without Flask; :mod:`inspect_app.web.labels` wraps the same words for
pages.
"""
from __future__ import annotations

from ..domain.messages import N_

INSPECTION_KIND_LABELS = {
    "inspection": N_("Inspection"),
    "self_check": N_("Self-check"),
    "assessment": N_("PAR-index assessment"),
}

INSPECTION_STATUS_LABELS = {
    "draft": N_("In progress"),
    "finalized": N_("Finalized"),
}

LINE_STATUS_LABELS = {
    "pass": N_("Met"),
    "partial": N_("Partly met"),
    "fail": N_("Not met"),
    "na": N_("Not applicable"),
    "unanswered": N_("Unanswered"),
    "info": N_("Information"),
    "adjustment": N_("Bonus/penalty"),
    "survey": N_("From the survey"),
}

ITEM_STATUS_LABELS = {
    "open": N_("Not started"),
    "in_progress": N_("In progress"),
    "done": N_("Done, awaiting verification"),
    "verified": N_("Verified"),
    "cannot_do": N_("Cannot be done"),
    "no_action": N_("No action needed"),
}
