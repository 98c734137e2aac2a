"""Filling a checklist on a phone: one section per screen, review, finalize, reopen, join.

With JavaScript every change is saved at once through the JSON API (static
fill.js). Without it, a section is submitted whole and each changed criterion is
saved as its own operation with the same op_id / base_rev guarantees; a
criterion a team mate changed meanwhile comes back as a conflict to resolve,
never as a silent overwrite.
"""
from __future__ import annotations

import uuid
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    get_template_attribute,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..domain import inspection as rules
from ..domain.messages import N_, criterion_label
from ..domain.models import Inspection
from ..services import Conflict, Forbidden, Invalid, Missing, ServiceError, commands, photos
from ..services import inspections as service
from . import fill_forms, province
from .auth import roles_required, scope, store
from .common import carries_photos, local_today, photo_limits
from .errors import status_of
from .i18n import current_locale, formatting, texts_per_locale, translate, written_locale

bp = Blueprint("fill", __name__, url_prefix="/inspections")


def _load(inspection_id: str) -> Inspection:
    try:
        return service.load(store(), scope(), inspection_id)
    except ServiceError:
        abort(404)


def _load_for(inspection_id: str, allowed) -> Inspection:
    """A record the user may see (else 404) and change in this way (else 403)."""
    inspection = _load(inspection_id)
    if not allowed(inspection):
        abort(403)
    return inspection


def section_nav(checklist, card) -> list[dict[str, Any]]:
    """Per section: id, title, answered count and total, for the section tabs."""
    nav = []
    for section in checklist.sections:
        progress = card.progress(section.id)
        nav.append({"id": section.id, "title": section.title, "total": progress.total,
                    "answered": progress.answered, "complete": progress.complete})
    return nav


@texts_per_locale
def client_messages() -> dict[str, str]:
    """The texts fill.js shows, in the user's language."""
    from .labels import LINE_STATUS_LABELS

    messages = {f"status_{k}": str(v) for k, v in LINE_STATUS_LABELS.items()}
    messages.update({
        "saving": _("Saving…"), "saved": _("Saved"), "retrying": _("Not saved yet, retrying…"),
        "offline": _("Offline: saved on this phone, will send when online"),
        "offline_pending": _("Offline: %(count)s changes wait on this phone"),
        "saving_count": _("Sending %(count)s changes…"), "all_saved": _("All changes saved"),
        "conflict": _("Conflict"), "conflict_title": _("Changed by a team mate"),
        "theirs": _("Theirs:"), "mine": _("Yours:"), "take_theirs": _("Take theirs"),
        "keep_mine": _("Keep mine"), "no_answer": _("(no answer)"), "yes": _("Yes"),
        "no": _("No"), "none_of_them": _("None of them"), "not_saved": _("Not saved"), "login_again": _("Log in again to save"),
        "not_a_number": _("Not a number"), "no_denominator": _("nothing to count (0)"),
        "photo_uploading": _("Uploading photo…"), "photo_saved": _("Photo saved"),
        # numbers.js fills in the placeholders (the same texts as the server's refusals)
        "num_not_a_number": _("“%(text)s” is not a number"),
        "num_two_readings": _("“%(text)s” can be read two ways, %(first)s or %(second)s: type "
                              "it again the way this page writes numbers (%(example)s)"),
        "num_other_way": _("“%(text)s” is not written the way this page writes numbers "
                           "(%(example)s): did you mean %(reading)s?"),
        "num_not_whole": _("“%(text)s” is not a whole number: this box takes whole numbers"),
        "not_saved_count": _("%(count)s changes not saved: see the marked boxes"),
        "offline_now": _("Offline: changes are kept on this phone"), "queue": _("Queue"),
        "photo_unsent": _("not sent"), "remove": _("Remove"),
        "remove_offline": _("Removing a photo needs the network: try again when online"),
        "note_label": _("Note:"), "explanation_label": _("Explanation:"),
        # a team mate's answer shown on the open page: "by Trần Thị Mai · 07/04/2023 14:05"
        "changed_by": _("Updated by %(who)s"),
    })
    return messages


def _render_section(inspection: Inspection, section_id: str, form=None, conflicts=None,
                    problems=None, status: int = 200, numbers_locale: str | None = None,
                    refusal: dict[str, Any] | None = None):
    """The section page; a submitted ``form`` comes back as typed, its numbers still
    written (and read again) the way ``numbers_locale`` writes them, the language of the
    page it was typed on. ``refusal`` (:func:`_refusal`): the section was not saved
    because the record closed meanwhile; a finalized record's form stays open, to be sent
    again once it is reopened."""
    checklist = service.checklist_of(inspection)
    section = checklist.section(section_id)
    if section is None:
        abort(404)
    spec = fill_forms.section_spec(checklist, section_id, inspection.kind)
    editable = (rules.answers_open(inspection) or bool(refusal and refusal["finalized"])) \
        and scope().can_edit(inspection)
    locale = current_locale()
    numbers_locale = numbers_locale or locale
    stored = form is None  # a page of the stored answers (else a submitted section's form)
    if stored:  # shown without building a WTForms form
        values = {}
        for cf in spec.criteria:
            answer = inspection.answers.get(cf.criterion.id)
            shown = values[cf.key] = fill_forms.form_values(cf.criterion, answer, locale)
            shown["op_id"] = str(uuid.uuid4())
            shown["orig"] = fill_forms.content_digest(rules.answer_content(answer))
        form = fill_forms.display_fields(checklist, section_id, inspection.kind, spec, values,
                                         locale)
    card = service.live_card(inspection)
    evidence = rules.evidence_needs(inspection, checklist)
    cards = None
    if stored and not (conflicts or problems):
        from .labels import LINE_STATUS_LABELS, Translated

        cards = fill_forms.rendered_cards(
            inspection, checklist, section_id, spec, form, values, card,
            Translated(LINE_STATUS_LABELS), evidence, locale, editable,
            get_template_attribute("fill/_card.html", "criterion_card"), request.script_root)
    index = [s.id for s in checklist.sections]
    position = index.index(section_id)
    return render_template(
        "fill/section.html", inspection=inspection, checklist=checklist, section=section,
        spec=spec, form=form, cards=cards, card=card, editable=editable, conflicts=conflicts or {},
        problems=problems or {}, nav=section_nav(checklist, card),
        prev_id=index[position - 1] if position > 0 else None,
        next_id=index[position + 1] if position + 1 < len(index) else None,
        unit=store().get_unit(inspection.unit), step_values=fill_forms.step_values,
        evidence=evidence, refusal=refusal,
        progress=card.progress(),
        messages=client_messages(), numbers_locale=numbers_locale,
        number_marks=formatting.number_symbols(numbers_locale),
    ), status


@bp.get("/<inspection_id>/s/<section_id>")
@roles_required()
def section(inspection_id: str, section_id: str):
    """One section of the checklist as a phone screen."""
    return _render_section(_load(inspection_id), section_id)


@bp.post("/<inspection_id>/s/<section_id>")
@carries_photos
@roles_required("admin", "inspector", "unit")
def save_section(inspection_id: str, section_id: str):
    """The no-JavaScript path: save every changed criterion of the section."""
    inspection = _load_for(inspection_id, scope().can_edit)
    checklist = service.checklist_of(inspection)
    if checklist.section(section_id) is None:
        abort(404)
    spec = fill_forms.section_spec(checklist, section_id, inspection.kind)
    form = spec.form_class()
    written = written_locale(request.form)  # the page's numbers: "3.200" of a vi page
    if not form.validate() and "csrf_token" in form.errors:
        return _render_section(inspection, section_id, form=form, status=400,
                               numbers_locale=written)
    ops, problems = [], {}
    for cf in spec.criteria:
        if cf.criterion.survey:  # scored from the survey: imported, never from a form
            continue
        refused = [str(e) for part in cf.parts for e in form[f"{cf.key}_{part.name}"].errors]
        if refused:  # said on its card; the section's other answers are still saved
            problems[cf.criterion.id] = refused
            continue
        data = {part.name: form[f"{cf.key}_{part.name}"].data for part in cf.parts}
        content, parse_problems = fill_forms.parse_content(cf.criterion, data, written)
        if parse_problems:
            problems[cf.criterion.id] = parse_problems
            continue
        if fill_forms.content_digest(rules.clean_content(content)) == data.get("orig"):
            continue  # untouched on this screen: never overwrite a team mate with stale values
        try:
            base_rev = int(data.get("base_rev") or 0)
        except ValueError:
            base_rev = 0
        try:
            ops.append(commands.answer_op(cf.criterion.id, {
                "op_id": data.get("op_id") or str(uuid.uuid4()), "base_rev": base_rev,
                **content}))
        except ServiceError as exc:
            problems[cf.criterion.id] = [translate(exc.message)]
    try:
        saved = service.save_section(store(), scope(), inspection_id, ops)
    except Conflict as exc:  # closed meanwhile (the lead finalized): nothing typed is lost
        current = store().get_inspection(inspection_id) or inspection
        return _render_section(current, section_id, form=form, problems=problems, status=409,
                               numbers_locale=written, refusal=_refusal(current, exc))
    problems.update({cid: [translate(p) for p in found] for cid, found in saved.problems.items()})
    conflicts = saved.conflicts
    keys = {cf.criterion.id: cf.key for cf in spec.criteria}
    photo_for = _section_photo(inspection_id, keys, problems)
    me = scope().user.username
    for criterion_id, current in conflicts.items():
        # this user's own answer (another tab, or this page sent before): said so, not
        # "a team mate"
        current["own"] = current.get("by") == me
        # let "keep mine" resend against the team mate's revision
        key = keys[criterion_id]
        form[f"{key}_base_rev"].data = str(current.get("rev", 0))
        form[f"{key}_op_id"].data = str(uuid.uuid4())
    if conflicts or problems:
        if conflicts and all(current["own"] for current in conflicts.values()):
            flash(_("Some answers were saved differently after this page was opened (on "
                    "another page, or by sending this one before). Compare and choose for "
                    "each one."), "warning")
        elif conflicts:
            flash(_("A team mate changed some answers while you were editing. Compare and "
                    "choose for each one."), "warning")
        return _render_section(store().get_inspection(inspection_id), section_id, form=form,
                               conflicts=conflicts, problems=problems,
                               status=409 if conflicts else 400, numbers_locale=written)
    if photo_for:  # back to the card whose photo was added or removed
        return redirect(url_for("fill.section", inspection_id=inspection_id,
                                section_id=section_id) + f"#k-{photo_for}")
    flash(_("Section saved."), "success")
    index = [s.id for s in checklist.sections]
    position = index.index(section_id)
    if request.form.get("go") == "next" and position + 1 < len(index):
        return redirect(url_for("fill.section", inspection_id=inspection_id,
                                section_id=index[position + 1]))
    if request.form.get("go") == "review":
        return redirect(url_for("fill.review", inspection_id=inspection_id))
    return redirect(url_for("fill.section", inspection_id=inspection_id, section_id=section_id))


def _refusal(inspection: Inspection, exc: Conflict) -> dict[str, Any]:
    """Why a section sent without JavaScript was not saved at all, for the page shown again
    as typed: finalized by whom and when, and whether this user may reopen it (else ask
    the team lead); otherwise the refusal's own message (an assessment's closed stage)."""
    refusal: dict[str, Any] = {"message": translate(exc.message),
                               "finalized": rules.reopenable(inspection),
                               "can_reopen": scope().can_reopen(inspection)}
    if refusal["finalized"]:
        by = inspection.finalized_by or ""
        refusal["who"] = service.author_names(store(), inspection, [by])[by] if by else ""
        refusal["at"] = inspection.finalized_at
    return refusal


def _section_photo(inspection_id: str, keys: dict[str, str],
                   problems: dict[str, list[str]]) -> str | None:
    """The section page's own photo buttons, sent with its answers so that nothing typed
    on the page is lost: "Upload" (``photo_for``: a criterion of the section, its file in
    ``<key>_photo``) and "Remove" (``remove_photo``: ``<criterion>:<photo>``). Returns
    the criterion, or None when neither was pressed; a refusal goes to ``problems``."""
    upload_for, removal = request.form.get("photo_for"), request.form.get("remove_photo")
    criterion_id, _sep, photo_id = (removal or "").partition(":")
    criterion_id = upload_for or criterion_id
    if not criterion_id:
        return None
    if criterion_id not in keys:  # not a criterion of this section
        abort(400)
    key = keys[criterion_id]
    page_op = request.form.get(f"{key}_op_id") or uuid.uuid4()
    try:
        if upload_for:
            upload = request.files.get(f"{key}_photo")
            if upload is None or not upload.filename:
                raise Invalid(N_("Choose a photo first."), field="photo")
            # the criterion's op_id of this page: the page sent twice adds the photo once
            data = upload.read()
            service.page_write(lambda op_id: photos.attach_to_answer(
                store(), scope(), inspection_id, criterion_id, data, op_id, **photo_limits()),
                f"{page_op}-p")
            flash(_("Photo added to %(criterion)s.", criterion=criterion_id), "success")
        else:  # sent twice (a double tap, a retry): answered as the first removal
            service.page_write(lambda op_id: photos.remove_from_answer(
                store(), scope(), inspection_id, criterion_id, photo_id, op_id),
                f"{page_op}-r{photo_id}")
            flash(_("Photo removed from %(criterion)s.", criterion=criterion_id), "success")
    except ServiceError as exc:
        problems.setdefault(criterion_id, []).append(translate(exc.message))
    return criterion_id


@bp.post("/<inspection_id>/c/<criterion_id>/photos")
@carries_photos
@roles_required("admin", "inspector", "unit")
def upload_photo(inspection_id: str, criterion_id: str):
    """The no-JavaScript photo upload of one criterion."""
    inspection = _load_for(inspection_id, scope().can_edit)
    criterion = service.checklist_of(inspection).criterion(criterion_id)
    if criterion is None:
        abort(404)
    upload = request.files.get("photo")
    try:
        if upload is None or not upload.filename:
            raise Invalid(N_("Choose a photo first."), field="photo")
        photos.attach_to_answer(store(), scope(), inspection_id, criterion_id, upload.read(),
                                request.form.get("op_id") or str(uuid.uuid4()), **photo_limits())
    except ServiceError as exc:
        flash(f"{criterion_label(criterion)}: {translate(exc.message)}", "error")
    else:
        flash(_("Photo added to %(criterion)s.", criterion=criterion_id), "success")
    return redirect(url_for("fill.section", inspection_id=inspection_id,
                            section_id=criterion.section) + f"#k-{criterion_id}")


@bp.post("/<inspection_id>/c/<criterion_id>/photos/<photo_id>/delete")
@roles_required("admin", "inspector", "unit")
def delete_photo(inspection_id: str, criterion_id: str, photo_id: str):
    inspection = _load_for(inspection_id, scope().can_edit)
    criterion = service.checklist_of(inspection).criterion(criterion_id)
    if criterion is None:
        abort(404)
    try:  # with the page's op_id, a second tap is answered as the first removal
        service.page_write(lambda op_id: photos.remove_from_answer(
            store(), scope(), inspection_id, criterion_id, photo_id, op_id),
            request.form.get("op_id") or str(uuid.uuid4()))
    except ServiceError as exc:
        flash(translate(exc.message), "error")
    return redirect(url_for("fill.section", inspection_id=inspection_id,
                            section_id=criterion.section) + f"#k-{criterion_id}")


# ---------------------------------------------------------------- review, finalize, reopen

@bp.get("/<inspection_id>/review")
@roles_required()
def review(inspection_id: str):
    """Before finalizing: what is unanswered, every shortcoming, missing evidence."""
    inspection = _load(inspection_id)
    checklist = service.checklist_of(inspection)
    card = service.live_card(inspection)
    return render_template(
        "fill/review.html", inspection=inspection, checklist=checklist, card=card,
        progress=card.progress(), unit=store().get_unit(inspection.unit),
        evidence=rules.evidence_needs(inspection, checklist),
        missing=rules.missing_evidence(inspection, checklist),
        can_finalize=service.finalize_offered(scope(), inspection))


@bp.get("/<inspection_id>/finalize")
@roles_required("admin", "inspector", "unit")
def confirm_finalize(inspection_id: str):
    """The confirmation step: what finalizing now freezes and creates, with the real
    finalize form (review.js shows the same page part in a dialog)."""
    allow = request.args.get("allow_unanswered") == "y"
    try:
        inspection, plan = service.finalize_preview(
            store(), scope(), inspection_id, allow_unanswered=allow,
            today=local_today())
    except Conflict as exc:  # finalized already, or an assessment
        flash(translate(exc.message), "warning")
        return redirect(url_for("inspections.view", inspection_id=inspection_id))
    except (Missing, Forbidden) as exc:
        abort(status_of(exc))
    checklist = service.checklist_of(inspection)
    return render_template(
        "fill/finalize.html", inspection=inspection, checklist=checklist, plan=plan,
        card=plan.card, score=plan.card.as_dict(), unit=store().get_unit(inspection.unit),
        op_id=str(uuid.uuid4()))


@bp.post("/<inspection_id>/finalize")
@roles_required("admin", "inspector", "unit")
def finalize(inspection_id: str):
    _load_for(inspection_id, lambda i: service.can_finalize(scope(), i))
    allow = request.form.get("allow_unanswered") == "y"
    try:
        base_rev = int(request.form["base_rev"]) if request.form.get("base_rev") else None
    except ValueError:
        base_rev = None
    summary = (request.form.get("summary") or "")[:128] or None
    op = commands.FinalizeOp(op_id=request.form.get("op_id") or str(uuid.uuid4()),
                             allow_unanswered=allow, base_rev=base_rev, summary=summary)
    try:
        service.finalize(store(), scope(), inspection_id, op, today=local_today())
    except rules.Stale:  # the summary that was confirmed is not what would be frozen
        flash(_("What finalizing would do changed after you opened this summary (a team "
                "mate's answer or plan entry, or the deadlines of a new day). Here it is "
                "again: check it before finalizing."), "warning")
        return redirect(url_for("fill.confirm_finalize", inspection_id=inspection_id,
                                allow_unanswered="y" if allow else None))
    except ServiceError as exc:
        if exc.details.get("unanswered"):
            flash(_("%(count)s criteria are unanswered. Answer them, or tick the box to finalize "
                    "anyway.", count=len(exc.details["unanswered"])), "error")
        else:  # e.g. the criteria that need evidence, named by number and text
            flash(translate(exc.message), "error")
        return redirect(url_for("fill.review", inspection_id=inspection_id))
    flash(_("Finalized. The score is frozen and the remediation plan is ready."), "success")
    return redirect(url_for("inspections.view", inspection_id=inspection_id))


@bp.post("/<inspection_id>/reopen")
@roles_required("admin", "inspector", "unit")
def reopen(inspection_id: str):
    _load_for(inspection_id, scope().can_reopen)
    try:
        service.reopen(store(), scope(), inspection_id, request.form.get("reason", ""))
    except ServiceError as exc:
        flash(translate(exc.message), "error")
    else:
        flash(_("Reopened. The reason is recorded in the history."), "success")
    return redirect(url_for("inspections.view", inspection_id=inspection_id))


# ---------------------------------------------------------------- joining by QR code

JOIN_LINK_DAYS = 60  # an inspection is filled within days; old printed codes stop working


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="join-inspection")


def join_url(inspection: Inspection) -> str:
    """The address a team mate's phone opens from the QR code (signed: ids alone do not work)."""
    token = _serializer().dumps(inspection.id)
    return province.public_url_for("fill.join", inspection_id=inspection.id, t=token)


def shows_join_qr(inspection: Inspection) -> bool:
    """The join QR code is offered on draft inspections to those who may fill them."""
    return (inspection.kind == "inspection" and inspection.status == "draft"
            and scope().can_edit(inspection))


@bp.get("/<inspection_id>/join-qr.svg")
@roles_required()
def join_qr_svg(inspection_id: str):
    """The join QR code as an SVG file, fetched only when the overview's box is opened."""
    inspection = _load(inspection_id)
    if not shows_join_qr(inspection):
        abort(403)
    from .qr import svg_response

    return svg_response(join_url(inspection))


@bp.route("/<inspection_id>/join", methods=["GET", "POST"])
@roles_required()
def join(inspection_id: str):
    """Open an inspection from a team mate's QR code, joining the team if needed. A code
    older than ``JOIN_LINK_DAYS`` still opens the inspection for its team; anyone else is
    told it expired (a forged one is a page that does not exist)."""
    token, serializer = request.values.get("t", ""), _serializer()
    expired = False
    try:
        valid = serializer.loads(token, max_age=JOIN_LINK_DAYS * 86400) == inspection_id
    except SignatureExpired:
        signed, payload = serializer.loads_unsafe(token)
        valid = expired = signed and payload == inspection_id
    except BadSignature:
        valid = False
    if not valid:
        abort(404)
    try:
        inspection, member = service.join_target(store(), scope(), inspection_id)
    except Missing:
        abort(404)
    except rules.Locked as exc:
        return render_template("error.html", code=409, title=_("Already finalized"),
                               message=translate(exc.message)), 409
    if member:
        return redirect(url_for("inspections.view", inspection_id=inspection_id))
    if expired:
        return render_template(
            "error.html", code=410, title=_("This join code has expired"),
            message=_("A join code works for %(days)s days. Ask the team lead for a new one: "
                      "it is on the inspection's page.", days=JOIN_LINK_DAYS)), 410
    if request.method == "GET":
        return render_template("fill/join.html", inspection=inspection,
                               unit=store().get_unit(inspection.unit), token=request.values["t"])
    service.join(store(), scope(), inspection_id)
    flash(_("You joined the team."), "success")
    return redirect(url_for("inspections.view", inspection_id=inspection_id))
