"""Remediation plans in the browser: "our plan" for a commune, overdue items and items
awaiting verification for the inspecting side, one inspection's plan, one item.

Every form posts to an HTML endpoint that calls the same service as the JSON API
(``services/remediation``) with an op_id made when the page was rendered, so a double
tap or a resent form never adds a second progress note, and a change made meanwhile by
someone else comes back as a conflict to look at, never as a silent overwrite. With
JavaScript, static/plan.js sends the same changes through the API from an offline queue.
"""
from __future__ import annotations

import uuid
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import HiddenField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from ..domain import item_changes
from ..domain.models import Inspection, RemediationItem
from ..domain.remediation import is_due_soon, is_overdue, is_withdrawn, plan_groups, plan_progress
from ..domain.reminders import days_overdue
from ..services import ServiceError, commands
from ..services import inspections as inspection_service
from ..services import remediation as service
from ..services import reminders as reminder_service
from .auth import record_unit_names, roles_required, scope, store
from .common import carries_photos, local_today, pager_of, photo_limits, safe_next
from .errors import status_of
from .forms import Form
from .i18n import translate
from .labels import INSPECTION_KIND_LABELS, ITEM_STATUS_LABELS

bp = Blueprint("remediation", __name__, url_prefix="/remediation")

GROUP_LABELS = {"overdue": _l("Overdue"), **ITEM_STATUS_LABELS}
FIELD_LABELS = {
    "criterion": _l("Criterion"), "finding": _l("Shortcoming"), "cause": _l("Cause"),
    "action": _l("Action"), "owner": _l("Responsible"), "cooperating": _l("Co-operating units"),
    "due": _l("Deadline"), "output": _l("Expected output"), "status": _l("Status"),
    "reason": _l("Reason"),
}
# No length check here: the services refuse a text beyond its limit with the field's name
# (domain/text.clean_text), and the page is shown again with what was typed (_failed); a
# form-level check would only turn that into a bare 400 that loses the text.
TEXT = [Optional()]


class ProgressForm(Form):
    """Progress on an item: a status, a note, a photo (the unit's everyday form)."""

    op_id = HiddenField()
    base_rev = HiddenField()
    next = HiddenField()
    shown_status = HiddenField()  # the status the page showed: sent only when it is changed
    status = RadioField(_l("Status"), choices=[], validate_choice=False, validators=[Optional()])
    progress_note = TextAreaField(_l("What was done (progress note)"), validators=TEXT)
    reason = TextAreaField(_l("Reason (required for “cannot be done” and “no action needed”)"),
                           validators=TEXT)
    photo = FileField(_l("Photo evidence"))


class ItemFieldsForm(Form):
    """The columns of an item (DOMAIN §5); a user gets only those they may edit."""

    op_id = HiddenField()
    base_rev = HiddenField()
    finding = TextAreaField(FIELD_LABELS["finding"], validators=TEXT)
    cause = TextAreaField(FIELD_LABELS["cause"], validators=TEXT)
    action = TextAreaField(FIELD_LABELS["action"], validators=TEXT)
    owner = StringField(FIELD_LABELS["owner"], validators=TEXT)
    cooperating = StringField(FIELD_LABELS["cooperating"], validators=TEXT)
    # the date itself is the service's to check (a refusal keeps what else was typed)
    due = StringField(FIELD_LABELS["due"], validators=[Optional(), Length(max=100)])
    output = StringField(FIELD_LABELS["output"], validators=TEXT)


class NewItemForm(ItemFieldsForm):
    """A free finding, or a shortcoming of a criterion written before finalizing."""

    criterion = StringField(FIELD_LABELS["criterion"], validators=[Optional(), Length(max=100)])
    reason = TextAreaField(_l("Or: why no action is needed"), validators=TEXT)


class ReviewForm(Form):
    """The inspecting side's decision on a done item."""

    op_id = HiddenField()
    base_rev = HiddenField()
    next = HiddenField()
    decision = HiddenField()
    comment = TextAreaField(_l("Comment (required to send back)"), validators=TEXT)


def _locate(item_ref: str) -> tuple[Inspection, RemediationItem]:
    try:
        return service.locate(store(), scope(), item_ref)
    except ServiceError:
        abort(404)


def _load(inspection_id: str) -> Inspection:
    try:
        return inspection_service.load(store(), scope(), inspection_id)
    except ServiceError:
        abort(404)


def item_config(inspection: Inspection, item: RemediationItem) -> dict[str, Any]:
    """What plan.js needs to send an item's changes through the API, and to write a note
    just saved as the page writes it (the app's time zone, the author's full name)."""
    me = scope().user
    return {"item": item.id, "rev": item.rev, "inspection": inspection.id,
            "tz": current_app.config["TIMEZONE"], "me": me.username,
            "my_name": me.full_name or me.username,
            "api": url_for("api.update_item", item_id=item.id),
            "photo_api": url_for("api.item_photo", item_id=item.id),
            "photo_base": url_for("inspections.photo", inspection_id=inspection.id,
                                  photo_id="__PHOTO__")}


def client_messages() -> dict[str, str]:
    """The texts plan.js shows, in the user's language."""
    messages = {f"status_{k}": str(v) for k, v in ITEM_STATUS_LABELS.items()}
    messages.update({
        "saving": _("Saving…"), "saved": _("Saved"), "retrying": _("Not saved yet, retrying…"),
        "offline": _("Offline: saved on this phone, will send when online"),
        "pending": _("%(count)s changes wait on this phone"),
        "conflict_title": _("Changed by someone else meanwhile"),
        "theirs": _("Now:"), "take_theirs": _("Show the current item"), "keep_mine": _("Send mine again"),
        "not_saved": _("Not saved"), "login_again": _("Log in again to save"),
        "photo_uploading": _("Uploading photo…"),
    })
    return messages


@bp.app_context_processor
def _templates_helpers() -> dict[str, Any]:
    """``previous_plan(inspection, section?)`` for the overview and section pages (computed
    once per request and record, only when a template asks for it)."""
    def previous_plan(inspection: Inspection, section=None):
        if section is not None and not any(c.id == service.PREVIOUS_PLAN_CRITERION
                                           for c in section.criteria):
            return None  # a section page without the criterion: nothing to look up
        cache = g.setdefault("previous_plans", {})
        if inspection.id not in cache:
            cache[inspection.id] = service.previous_plan(store(), scope(), inspection,
                                                         current_app.config["TIMEZONE"])
        return cache[inspection.id]
    return {"previous_plan": previous_plan, "field_labels": FIELD_LABELS,
            "group_labels": GROUP_LABELS, "is_overdue": is_overdue, "is_due_soon": is_due_soon}


# ---------------------------------------------------------------- pages

@bp.get("/")
@roles_required()
def index():
    """A commune's own plan; for everyone else overdue items across units, items awaiting
    verification and the progress of every plan. Each list is paged (``page``, or
    ``overdue``, ``awaiting`` and ``plans`` for the three lists) and read from the index."""
    current, today = scope(), local_today()
    if current.role == "unit":
        plan = service.grouped_plan(store(), current, today,
                                    inspection_service.page_number(request.args.get("page")))
        entries = [e for _key, group in plan.groups for e in group]
        return render_template(
            "remediation/our_plan.html",
            groups=[(key, [e.item for e in group]) for key, group in plan.groups],
            counts=plan.counts, progress=plan.progress, pager=pager_of(plan), today=today,
            unit=store().get_unit(current.user.unit), op_id=str(uuid.uuid4()),
            messages=client_messages(), **_helpers(entries))
    number = inspection_service.page_number
    overdue = service.overdue(store(), current, today, number(request.args.get("overdue")))
    awaiting = service.awaiting_verification(store(), current,
                                             number(request.args.get("awaiting")))
    plans = service.plans(store(), current, number(request.args.get("plans")))
    after_days = int(current_app.config["ESCALATE_AFTER_DAYS"])
    escalated = reminder_service.escalated(store(), current, today, after_days,
                                           number(request.args.get("escalated")))
    shown = overdue.rows + awaiting.rows + escalated.rows
    return render_template(
        "remediation/index.html", overdue=overdue.rows, awaiting=awaiting.rows,
        plans=plans.rows, escalated=escalated.rows, escalate_after=after_days,
        counts={"overdue": overdue.total, "awaiting": awaiting.total, "plans": plans.total,
                "escalated": escalated.total},
        pagers={"overdue": pager_of(overdue, "overdue", "overdue"),
                "awaiting": pager_of(awaiting, "awaiting", "awaiting"),
                "plans": pager_of(plans, "plans", "plans"),
                "escalated": pager_of(escalated, "escalated", "escalated")},
        names=record_unit_names(plans.rows), today=today, op_id=str(uuid.uuid4()),
        days_overdue=days_overdue, **_helpers(shown))


def _helpers(entries: list[service.Entry]) -> dict[str, Any]:
    """``powers_of(item)`` and ``context_of(item)`` (the unit and record an item comes
    from) for lists that gather items of several records."""
    by_item = {e.item.id: e.record for e in entries}
    powers = {r.id: service.powers_of(scope(), r) for r in by_item.values()}
    names = record_unit_names(by_item.values())  # the name on the record's day

    def context_of(item) -> str:
        record = by_item[item.id]
        kind = INSPECTION_KIND_LABELS.get(record.kind, record.kind)
        unit = "" if scope().role == "unit" else f"{names.get(record.id, record.unit)} · "
        return f"{unit}{kind} {record.period}"

    return {"powers_of": lambda item: powers[by_item[item.id].id], "context_of": context_of}


@bp.get("/plan/<inspection_id>")
@roles_required()
def plan(inspection_id: str):
    """The plan of one inspection or self-check: progress, items by status, a new finding."""
    inspection = _load(inspection_id)
    return _render_plan(inspection)


def _render_plan(inspection: Inspection, form: NewItemForm | None = None, status: int = 200):
    today = local_today()
    powers = service.powers_of(scope(), inspection)
    if form is None:
        form = NewItemForm(formdata=None, op_id=str(uuid.uuid4()))
    checklist = inspection_service.checklist_of(inspection)
    return render_template(
        "remediation/plan.html", inspection=inspection, unit=store().get_unit(inspection.unit),
        groups=plan_groups(inspection.items, today), progress=plan_progress(inspection.items),
        today=today, powers=powers, powers_of=lambda item: powers, form=form, checklist=checklist,
        op_id=str(uuid.uuid4()), messages=client_messages()), status


@bp.get("/item/<item_id>")
@roles_required()
def item(item_id: str):
    """One item: what to do, progress notes with photos, history, and the forms the user
    may use."""
    inspection, found = _locate(item_id)
    return _render_item(inspection, found)


def _render_item(inspection: Inspection, found: RemediationItem, *, progress_form=None,
                 fields_form=None, review_form=None, conflict=None, error=None,
                 status: int = 200):
    powers = service.powers_of(scope(), inspection)
    checklist = inspection_service.checklist_of(inspection)
    fresh = {"op_id": str(uuid.uuid4()), "base_rev": found.rev}
    if progress_form is None:
        progress_form = ProgressForm(formdata=None, status=found.status, reason=found.reason,
                                     shown_status=found.status, **fresh)
    moves = item_changes.moves(found, powers)
    progress_form.status.choices = [SelectChoice(s, str(ITEM_STATUS_LABELS[s])) for s in
                                    [found.status] + [m for m in moves if m != found.status]]
    if fields_form is None:
        fields_form = ItemFieldsForm(formdata=None, obj=found, **fresh)
    withdrawn = is_withdrawn(found)  # takes no note nor column: only a move to a status
    editable_fields = [] if withdrawn else [
        f for f in item_changes.ITEM_FIELDS
        if powers.plan or powers.admin or (powers.update and f in item_changes.UNIT_FIELDS)]
    if review_form is None:
        review_form = ReviewForm(formdata=None, **fresh)
    users = {u.username: u for u in store().list_users()}
    return render_template(
        "remediation/item.html", inspection=inspection, item=found, powers=powers,
        unit=store().get_unit(inspection.unit), criterion=checklist.criterion(found.criterion or ""),
        today=local_today(), progress_form=progress_form, fields_form=fields_form,
        editable_fields=editable_fields, review_form=review_form, moves=moves,
        withdrawn=withdrawn,
        can_review=scope().can_verify_item(inspection) and (
            found.status == "done" or (found.status == "verified" and powers.admin)),
        conflict=conflict, error=error, users=users, item_js=item_config(inspection, found),
        messages=client_messages()), status


# ---------------------------------------------------------------- forms (no JavaScript needed)

def _back(item_ref: str, target: str | None = None):
    fallback = url_for("remediation.item", item_id=item_ref)
    return redirect(safe_next(target, fallback))


def _failed(inspection: Inspection, item_ref: str, exc: ServiceError, **forms):
    """Show the item again with what went wrong; the user's input stays in the form."""
    status = status_of(exc)
    if status in (403, 404):
        abort(status)
    fresh = store().get_inspection(inspection.id)
    found = fresh.item(item_ref)
    conflict = exc.details.get("current") if status == 409 else None
    for form in forms.values():
        # "send mine again" goes against the current revision, as a new operation
        form.base_rev.data = str(found.rev)
        form.op_id.data = str(uuid.uuid4())
    return _render_item(fresh, found, conflict=conflict, error=translate(exc.message),
                        status=status, **forms)


def _base_rev(form) -> int | None:
    try:
        return int(form.base_rev.data)
    except (TypeError, ValueError):
        return None


@bp.post("/item/<item_id>/progress")
@carries_photos
@roles_required("admin", "inspector", "unit")
def progress(item_id: str):
    """Status, progress note, reason and photo of one item, in one operation."""
    inspection, found = _locate(item_id)
    form = ProgressForm()
    if not form.validate_on_submit():
        abort(400)
    body: dict[str, Any] = {"op_id": form.op_id.data or str(uuid.uuid4()),
                            "base_rev": _base_rev(form)}
    if form.status.data and form.status.data != form.shown_status.data:
        body["status"] = form.status.data  # an untouched choice never reverts someone's change
    if (form.progress_note.data or "").strip():
        body["progress_note"] = form.progress_note.data
    if (form.reason.data or "").strip() or found.reason:
        body["reason"] = form.reason.data or ""
    upload = form.photo.data
    photo = upload.read() if upload and upload.filename else None
    try:
        service.update_item(store(), scope(), commands.item_change(item_id, body), photo=photo,
                            **photo_limits())
    except ServiceError as exc:
        return _failed(inspection, item_id, exc, progress_form=form)
    flash(_("Saved."), "success")
    return _back(item_id, form.next.data)


@bp.post("/item/<item_id>/edit")
@roles_required("admin", "inspector", "unit")
def edit(item_id: str):
    """The columns of an item (only those the form showed are sent)."""
    inspection, _found = _locate(item_id)
    form = ItemFieldsForm()
    if not form.validate_on_submit():
        abort(400)
    body: dict[str, Any] = {"op_id": form.op_id.data or str(uuid.uuid4()),
                            "base_rev": _base_rev(form)}
    for name in item_changes.ITEM_FIELDS:
        if name in request.form:
            body[name] = form[name].data or ""
    try:
        service.update_item(store(), scope(), commands.item_change(item_id, body))
    except ServiceError as exc:
        return _failed(inspection, item_id, exc, fields_form=form)
    flash(_("Saved."), "success")
    return _back(item_id)


@bp.post("/item/<item_id>/review")
@roles_required("admin", "inspector")
def review(item_id: str):
    """Verify a done item, or send it back with a comment."""
    inspection, _found = _locate(item_id)
    form = ReviewForm()
    if not form.validate_on_submit():
        abort(400)
    body = {"op_id": form.op_id.data or str(uuid.uuid4()), "base_rev": _base_rev(form),
            "decision": form.decision.data or request.form.get("go"), "comment": form.comment.data}
    try:
        service.review_item(store(), scope(), commands.item_review(item_id, body))
    except ServiceError as exc:
        return _failed(inspection, item_id, exc, review_form=form)
    flash(_("Verified.") if body["decision"] == "verify" else _("Sent back."), "success")
    return _back(item_id, form.next.data)


@bp.post("/plan/<inspection_id>/items")
@roles_required("admin", "inspector", "unit")
def add(inspection_id: str):
    """Add a free finding (or a criterion's shortcoming, or "no action needed")."""
    inspection = _load(inspection_id)
    form = NewItemForm()
    if not form.validate_on_submit():
        abort(400)
    body: dict[str, Any] = {"op_id": form.op_id.data or str(uuid.uuid4()),
                            "criterion": form.criterion.data or None}
    for name in item_changes.ITEM_FIELDS:
        if (form[name].data or "").strip():
            body[name] = form[name].data
    if (form.reason.data or "").strip():
        body.update(status="no_action", reason=form.reason.data)
    try:
        created = service.add_item(store(), scope(), inspection_id, commands.new_item(body))
    except ServiceError as exc:
        status = status_of(exc)
        if status in (403, 404):
            abort(status)
        flash(translate(exc.message), "error")
        form.op_id.data = str(uuid.uuid4())
        return _render_plan(inspection, form=form, status=status)
    flash(_("Added to the plan."), "success")
    return redirect(url_for("remediation.item", item_id=created.item.id))
