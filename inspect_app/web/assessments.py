"""The screens of a PAR-index assessment (DESIGN §10): the province's appraisal of a
section, the unit's explanations, the scores side by side, and moving on a stage.

The unit self-scores with the ordinary section screens (``web/fill.py``). Every form
works without JavaScript (CSRF token, one op per criterion under the §7 protocol).
"""
from __future__ import annotations

import datetime as _dt
import uuid
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length
from wtforms.widgets import CheckboxInput, ListWidget

from ..domain import assessment as stages
from ..domain import inspection as rules
from ..domain.compare import compare
from ..domain.messages import N_, criterion_label
from ..domain.models import Inspection
from ..domain.periods import default_period
from ..domain.units import unit_order
from ..services import Invalid, ServiceError, Unprocessable, assessments, commands
from ..services import inspections as service
from . import fill_forms
from .auth import roles_required, scope, store
from .common import carries_photos, csrf, local_today, photo_limits
from .forms import Form, stripped
from .i18n import current_locale, translate, written_locale

bp = Blueprint("assessments", __name__, url_prefix="/assessments")

#: Form field of the "ask to explain" switch of a criterion (after its key).
EXPLAIN = "explain"


def _fail(exc: ServiceError):
    from .errors import status_of

    abort(status_of(exc))


def _section_or_404(inspection: Inspection, section_id: str):
    section = service.checklist_of(inspection).section(section_id)
    if section is None:
        abort(404)
    return section


# ---------------------------------------------------------------- the province's appraisal

@bp.get("/<inspection_id>/appraisal/<section_id>")
@roles_required("admin", "inspector")
def appraisal(inspection_id: str, section_id: str):
    """One section to appraise: per criterion the unit's self-score with its evidence and
    notes (and, in round 2, its explanation) beside the appraisers' input."""
    try:
        inspection = assessments.appraiser_view(store(), scope(), inspection_id)
    except ServiceError as exc:
        _fail(exc)
    return _render_appraisal(inspection, section_id)


def _render_appraisal(inspection: Inspection, section_id: str, status: int = 200, *,
                      typed: dict[str, dict] | None = None, explain: set[str] | None = None,
                      numbers_locale: str | None = None):
    """The appraisal of a section. After a refusal, ``typed``: the values of the refused
    criteria as typed (by criterion key; the others show what is stored), ``explain``: the
    criteria among them whose "ask to explain" was ticked, ``numbers_locale``: the language
    they were typed in (the whole page writes its numbers that way, to read them back)."""
    checklist = service.checklist_of(inspection)
    section = _section_or_404(inspection, section_id)
    round_name = stages.current_round(inspection)
    shown_round = round_name or (stages.final_round(inspection) if inspection.rounds else None)
    answers = inspection.rounds.get(shown_round, {}) if shown_round else {}
    editable = round_name is not None and inspection.status == "draft"
    spec = fill_forms.section_spec(checklist, section_id, "inspection")
    locale = current_locale()
    numbers_locale = numbers_locale or locale
    values = {}
    for cf in spec.criteria:
        answer = answers.get(cf.criterion.id)
        shown = values[cf.key] = fill_forms.form_values(cf.criterion, answer, numbers_locale)
        shown["op_id"] = str(uuid.uuid4())
        shown["orig"] = fill_forms.content_digest(rules.answer_content(answer))
        shown.update({k: v for k, v in (typed or {}).get(cf.key, {}).items() if k != "op_id"})
    form = fill_forms.display_fields(checklist, section_id, "inspection", spec, values, locale)
    typed_ids = {cf.criterion.id for cf in spec.criteria if cf.key in (typed or {})}
    explain = (explain or set()) | {c_id for c_id, answer in answers.items()
                                    if answer.explain and c_id not in typed_ids}
    card = assessments.round_card(inspection, shown_round) if shown_round else None
    self_card = service.live_card(inspection)
    index = [s.id for s in checklist.sections]
    position = index.index(section_id)
    return render_template(
        "assessments/appraisal.html", inspection=inspection, checklist=checklist,
        section=section, spec=spec, form=form, round_name=shown_round, editable=editable,
        numbers_locale=numbers_locale,
        answers=answers, card=card, self_card=self_card, unit=store().get_unit(inspection.unit),
        explain=explain,
        stage_label=translate(stages.STAGE_LABELS[stages.stage_of(inspection)]),
        sections=checklist.sections,
        prev_id=index[position - 1] if position > 0 else None,
        next_id=index[position + 1] if position + 1 < len(index) else None), status


@bp.post("/<inspection_id>/appraisal/<section_id>")
@roles_required("admin", "inspector")
def save_appraisal(inspection_id: str, section_id: str):
    """The no-JavaScript save of a section's appraisal: each changed criterion is its own
    op; ``copy=<criterion>`` takes the self-score over for that criterion."""
    try:
        inspection = assessments.appraiser_view(store(), scope(), inspection_id)
    except ServiceError as exc:
        _fail(exc)
    checklist = service.checklist_of(inspection)
    _section_or_404(inspection, section_id)
    spec = fill_forms.section_spec(checklist, section_id, "inspection")
    form = spec.form_class()
    if not form.validate() and "csrf_token" in form.errors:
        flash(_("The form could not be read; try again."), "error")
        return redirect(request.url)
    copy_of = request.form.get("copy")
    written = written_locale(request.form)  # the page's numbers: "3.200" of a vi page
    # the round closed since the page was opened: nothing is saved, even what was untouched
    # (never "saved"), and the section comes back as typed
    closed = stages.current_round(inspection) is None
    problems: list[str] = [_("No appraisal round is open: nothing was saved.")] if closed else []
    typed: dict[str, dict] = {}  # the refused criteria's values as typed, by key
    for cf in spec.criteria:
        c = cf.criterion
        if c.survey:  # imported from the survey: never appraised on this screen
            continue
        data = {part.name: form[f"{cf.key}_{part.name}"].data for part in cf.parts}
        if not data.get("orig") and copy_of != c.id:
            continue  # not on the page that was sent: nothing to save of it
        if closed:
            typed[cf.key] = data
            continue
        refused = [str(e) for part in cf.parts for e in form[f"{cf.key}_{part.name}"].errors]
        if refused:  # this criterion is said; the section's other criteria are still saved
            problems.append(f"{criterion_label(c)}: {'; '.join(refused)}")
            typed[cf.key] = data
            continue
        try:
            base_rev = int(data.get("base_rev") or 0)
        except ValueError:
            base_rev = 0
        if copy_of == c.id:  # the unit's score, the appraiser's own note and request
            own = inspection.answers.get(c.id)
            content = own.content() if own else {}
            content.pop("note", None)
            content = rules.clean_content({**content, "note": data.get("note") or ""})
            if request.form.get(f"{cf.key}_{EXPLAIN}") == "y":
                content["explain"] = True
        else:
            content, parse_problems = fill_forms.parse_content(c, data, written)
            if parse_problems:
                problems.append(f"{criterion_label(c)}: {'; '.join(map(str, parse_problems))}")
                typed[cf.key] = data
                continue
            content = rules.clean_content(content)
            if request.form.get(f"{cf.key}_{EXPLAIN}") == "y":
                content["explain"] = True
            if fill_forms.content_digest(content) == data.get("orig"):
                continue  # untouched on this screen
        try:
            op = commands.appraisal_op(c.id, {"op_id": data.get("op_id") or str(uuid.uuid4()),
                                              "base_rev": base_rev, **content})
            service.from_a_page(
                lambda op: assessments.save_appraisal(store(), scope(), inspection_id, op), op)
        except rules.Stale as stale:
            if stale.details.get("current", {}).get("by") == scope().user.username:
                problems.append(_("%(criterion)s: you saved another score here after this page "
                                  "was opened: look at it again.", criterion=criterion_label(c)))
            else:
                problems.append(_("%(criterion)s was changed by a team mate meanwhile: look at "
                                  "it again.", criterion=criterion_label(c)))
        except ServiceError as exc:  # refused by the rules: shown again as typed
            problems.append(f"{criterion_label(c)}: {translate(exc.message)}")
            typed[cf.key] = data
    if problems:
        # the section again: the refused criteria as typed (with the revision they were typed
        # on), the others as now stored (a team mate's change shown, to look at again)
        for problem in problems:
            flash(problem, "error")
        ticked = {cf.criterion.id for cf in spec.criteria if cf.key in typed
                  and request.form.get(f"{cf.key}_{EXPLAIN}") == "y"}
        return _render_appraisal(store().get_inspection(inspection_id), section_id, 400,
                                 typed=typed, explain=ticked, numbers_locale=written)
    flash(_("Appraisal saved."), "success")
    go = request.form.get("go")
    target = go if go and go != "stay" and checklist.section(go) is not None else section_id
    return redirect(url_for("assessments.appraisal", inspection_id=inspection_id,
                            section_id=target))


# ---------------------------------------------------------------- the unit's explanations

@bp.get("/<inspection_id>/explanations")
@roles_required("unit")
def explanations(inspection_id: str):
    """The requests to explain, each with the appraisers' comment and a place to answer."""
    return _explanations_page(inspection_id)


def _explanations_page(inspection_id: str, *, typed: dict[str, str] | None = None,
                       errors: dict[str, str] | None = None, status: int = 200):
    """The page; after a refusal with what was typed (``typed``) and why (``errors``), by
    criterion, so that nothing typed is lost."""
    try:
        inspection = assessments.explainer_view(store(), scope(), inspection_id)
    except ServiceError as exc:
        _fail(exc)
    parts = assessments.assessment_parts(inspection, scope())
    checklist = service.checklist_of(inspection)
    round1 = inspection.rounds.get("appraisal1", {}) if "appraisal1" in parts["rounds"] else {}
    asked = [(checklist.criterion(cid), inspection.answers.get(cid), round1.get(cid),
              inspection.explanations.get(cid)) for cid in parts["requests"]]
    return render_template(
        "assessments/explanations.html", inspection=inspection, asked=asked,
        unit=store().get_unit(inspection.unit), stage=stages.stage_of(inspection),
        started=stages.reached(inspection, "explanation"),
        can_advance=scope().can_advance(inspection, stages.stage_of(inspection)),
        op_id=lambda: str(uuid.uuid4()), typed=typed or {}, errors=errors or {}), status


@bp.post("/<inspection_id>/explanations/<criterion_id>")
@carries_photos
@roles_required("unit")
def save_explanation(inspection_id: str, criterion_id: str):
    """One criterion's explanation and, with "Upload", an evidence photo: the text is saved
    first (unchanged text is no change), then the photo; a refusal shows the page again
    with the text as typed."""
    text = request.form.get("text", "")
    try:
        base_rev = int(request.form.get("base_rev") or 0)
    except ValueError:
        base_rev = 0
    op_id = request.form.get("op_id") or str(uuid.uuid4())
    try:
        op = commands.explanation_op(criterion_id, {"op_id": op_id, "base_rev": base_rev,
                                                    "text": text})
        record = store().get_inspection(inspection_id)
        saved = record.explanations.get(criterion_id) if record else None
        if not (request.form.get("upload") and text == (saved.text if saved else "")):
            service.from_a_page(
                lambda op: assessments.save_explanation(store(), scope(), inspection_id, op), op)
        if request.form.get("upload"):
            _attach_explanation_photo(inspection_id, criterion_id, f"{op_id}-p")
    except rules.Stale:
        return _explanations_page(inspection_id, typed={criterion_id: text}, errors={
            criterion_id: _("This explanation was changed meanwhile: the saved one is shown "
                            "above; yours is kept in the box. Save again to keep yours.")},
            status=409)
    except ServiceError as exc:
        if exc.__class__.__name__ == "Missing":
            abort(404)
        return _explanations_page(inspection_id, typed={criterion_id: text},
                                  errors={criterion_id: translate(exc.message)}, status=400)
    flash(_("Photo added to %(criterion)s.", criterion=criterion_id) if request.form.get("upload")
          else _("Explanation saved."), "success")
    return redirect(url_for("assessments.explanations", inspection_id=inspection_id)
                    + f"#e-{criterion_id}")


def _attach_explanation_photo(inspection_id: str, criterion_id: str, op_id: str) -> None:
    upload = request.files.get("photo")
    if upload is None or not upload.filename:
        raise Invalid(N_("Choose a photo first."), field="photo")
    assessments.attach_to_explanation(
        store(), scope(), inspection_id, criterion_id, upload.read(), op_id, **photo_limits())


@bp.post("/<inspection_id>/explanations/<criterion_id>/photos")
@carries_photos
@roles_required("unit")
def explanation_photo(inspection_id: str, criterion_id: str):
    """An evidence photo alone (pages kept from before the photo joined the explanation's
    form)."""
    try:
        _attach_explanation_photo(inspection_id, criterion_id,
                                  request.form.get("op_id") or str(uuid.uuid4()))
    except ServiceError as exc:
        if exc.__class__.__name__ == "Missing":
            abort(404)
        flash(translate(exc.message), "error")
    else:
        flash(_("Photo added to %(criterion)s.", criterion=criterion_id), "success")
    return redirect(url_for("assessments.explanations", inspection_id=inspection_id)
                    + f"#e-{criterion_id}")


# ---------------------------------------------------------------- scores and stages

@bp.get("/<inspection_id>/scores")
@roles_required()
def scores(inspection_id: str):
    """Self / round 1 / round 2 or final, criterion by criterion, the gap and the
    overrated criteria flagged (as far as the reader may see the rounds)."""
    try:
        inspection = assessments.load_assessment(store(), scope(), inspection_id)
    except ServiceError as exc:
        _fail(exc)
    checklist = service.checklist_of(inspection)
    cards = assessments.scores(inspection, scope())
    # the last round the reader may see: round 2 (final) where it happened, else round 1
    last_name = ("appraisal2" if cards["appraisal2"] else
                 "appraisal1" if cards["appraisal1"] else None)
    rows = _score_rows(inspection, checklist, cards, last_name)
    return render_template(
        "assessments/scores.html", inspection=inspection, rows=rows, cards=cards,
        last_name=last_name, unit=store().get_unit(inspection.unit),
        overrated=[r for r in rows if r["overrated"]])


def _score_rows(inspection: Inspection, checklist, cards: dict[str, Any],
                last_name: str | None) -> list[dict[str, Any]]:
    """One row per scored criterion: max, self, round 1, round 2 (or final) and the gap
    self − last round (the comparison of ``domain/compare.py``)."""
    def lines(card):
        return {line["id"]: line for line in card["criteria"]} if card else {}

    r1, r2 = lines(cards["appraisal1"]), lines(cards["appraisal2"])
    last = assessments.round_card(inspection, last_name) if last_name else None
    self_card = service.live_card(inspection)
    rows = []
    for gap in compare(checklist, self_card, last or self_card):
        rows.append({"gap": gap if last else None, "criterion": gap.criterion,
                     "text": gap.text, "max": gap.max, "self": gap.self_points,
                     "self_status": gap.self_status,
                     "appraisal1": r1.get(gap.criterion), "appraisal2": r2.get(gap.criterion),
                     "overrated": bool(last and gap.overrated)})
    return rows


@bp.post("/<inspection_id>/advance")
@roles_required("admin", "inspector", "unit")
def advance(inspection_id: str):
    """Move the assessment on a stage (the no-JavaScript form of the view page)."""
    back = request.form.get("back") or "view"
    try:
        assessments.advance(store(), scope(), inspection_id,
                            commands.advance_op({"op_id": request.form.get("op_id")
                                                 or str(uuid.uuid4()),
                                                 "stage": request.form.get("stage") or None}),
                            today=local_today())
    except Unprocessable as exc:
        flash(translate(exc.message), "error")
    except ServiceError as exc:
        if exc.__class__.__name__ in ("Missing", "Forbidden"):
            _fail(exc)
        flash(translate(exc.message), "error")
    else:
        flash(_("The assessment moved on to the next stage."), "success")
    if back == "explanations":
        return redirect(url_for("assessments.explanations", inspection_id=inspection_id))
    return redirect(url_for("inspections.view", inspection_id=inspection_id))


def view_context(inspection: Inspection) -> dict[str, Any]:
    """What the record's overview shows of an assessment: its stage, who may move it on,
    and the screens of each side."""
    current = scope()
    stage = stages.stage_of(inspection)
    checklist = service.checklist_of(inspection)
    blocking = assessments.blockers(inspection) if inspection.status == "draft" else {}
    return {"stage": stage, "stage_label": translate(stages.STAGE_LABELS[stage]),
            "province": current.is_province(inspection),
            "unit_side": current.is_assessed_unit(inspection),
            "can_advance": inspection.status == "draft" and current.can_advance(inspection, stage),
            "first_section": checklist.sections[0].id,
            "requests": len(stages.requests(inspection)),
            "missing": len(blocking.get("unanswered", ())) + len(blocking.get("missing_evidence", ())),
            "op_id": str(uuid.uuid4())}




# ---------------------------------------------------------------- rounds over many units

class RoundForm(Form):
    """Opening a round: the checklist, the period, the units (all by default) and the two
    deadlines (dates in Vietnam time, ``2026-01-31`` or ``31/01/2026``)."""

    checklist = SelectField(_l("Checklist"), choices=[], validate_choice=False)
    period = StringField(_l("Period"), validators=[Length(max=40)],
                         description=_l("A yearly checklist: the year, like 2025"))
    units = SelectMultipleField(_l("Units"), choices=[], validate_choice=False,
                                option_widget=CheckboxInput(),
                                widget=ListWidget(prefix_label=False))
    self_due = StringField(_l("Self-assessment deadline"), validators=[Length(max=10)],
                           filters=[stripped])
    explain_due = StringField(_l("Explanation deadline"), validators=[Length(max=10)],
                              filters=[stripped])


def _date_of(text: str | None) -> _dt.date | None:
    """A date typed as 2026-01-31 (a date box) or 31/01/2026; None when it is neither."""
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return _dt.datetime.strptime((text or "").strip(), pattern).date()
        except ValueError:
            continue
    return None


def _round_form(today: _dt.date) -> RoundForm:
    library = current_app.extensions["checklists"]
    form = RoundForm()
    usable = assessments.round_checklists(library)
    form.checklist.choices = [SelectChoice(c.id, c.title) for c in usable]
    units = sorted(store().list_units(), key=unit_order)
    form.units.choices = [SelectChoice(u.code, f"{u.name} ({u.code})") for u in units]
    if request.method == "GET":
        chosen = usable[0] if usable else None
        form.period.data = default_period(chosen.period_kind, "assessment", today) if chosen \
            else str(today.year)
        form.units.data = [u.code for u in units]  # every commune unless unticked
    return form


@bp.route("/rounds/new", methods=["GET", "POST"])
@roles_required("admin")
def open_round():
    """Open an assessment round from the app: the same all-or-nothing service as
    ``flask assessments open``; every refusal shown at its field, nothing written."""
    today = local_today()
    form = _round_form(today)
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            problems: dict[str, str] = {}
            dues = {}
            for name in ("self_due", "explain_due"):
                dues[name] = _date_of(form[name].data)
                if dues[name] is None:
                    problems[name] = _("Write a date such as 31/01/%(year)s.",
                                       year=today.year + 1)
            if not form.units.data:
                problems["units"] = _("Tick at least one unit.")
            if not (form.period.data or "").strip():
                problems["period"] = _("This box must be filled in.")
            if not problems:
                try:
                    opened = assessments.open_round(
                        store(), current_app.extensions["checklists"], scope(),
                        checklist=form.checklist.data, period=form.period.data.strip(),
                        units=list(form.units.data), self_due=dues["self_due"],
                        explain_due=dues["explain_due"], today=today)
                except ServiceError as exc:
                    fields = exc.details.get("fields") or {}
                    status = 409 if exc.details.get("units") else 400
                    for name, message in (fields or {"": exc.message}).items():
                        problems[{"unit": "units"}.get(name, name)] = translate(message)
                else:
                    flash(_("Round opened: %(count)s assessments.", count=len(opened.records)),
                          "success")
                    return redirect(url_for("assessments.round_progress",
                                            checklist_id=form.checklist.data,
                                            period=_opened_period(opened)))
            for name, message in problems.items():
                target = getattr(form, name, None)
                if target is not None and hasattr(target, "errors"):
                    target.errors = list(target.errors) + [message]
                else:
                    flash(message, "error")
        else:
            flash(_("The form could not be read; try again."), "error")
    return render_template("assessments/open_round.html", form=form), status


def _opened_period(opened) -> str:
    """The period the opened assessments hold (as the service normalised it)."""
    record = store().get_inspection(next(iter(opened.records.values())))
    return record.period


@bp.get("/rounds")
@roles_required("admin", "inspector", "viewer")
def rounds():
    """Every assessment round the user may see, with its progress in figures."""
    return render_template("assessments/rounds.html",
                           rounds=assessments.rounds(store(), scope()),
                           can_open=scope().role == "admin")


@bp.get("/rounds/<checklist_id>/<period>")
@roles_required("admin", "inspector", "viewer")
def round_progress(checklist_id: str, period: str):
    """A round across units: how many submitted, appraised, wait for explanations, are
    final; a line per unit (stage, deadline, what is missing) to its assessment."""
    try:
        progress = assessments.round_progress(
            store(), scope(), checklist_id, period,
            today=local_today())
    except ServiceError as exc:
        _fail(exc)
    from ..services import survey

    # The survey sections of the versions the round's records hold, not of the
    # checklist's current version: the import writes into those.
    sections = survey.round_survey_sections(store(), checklist_id, progress.period) \
        if scope().role == "admin" else []
    return render_template(
        "assessments/round.html", progress=progress, counts=progress.counts,
        stage_labels={k: translate(v) for k, v in stages.STAGE_LABELS.items()},
        survey_form=SurveyForm() if sections else None, survey_sections=sections)


class SurveyForm(Form):
    file = FileField(_l("Survey results (CSV)"), validators=[FileRequired()])


@bp.post("/rounds/<checklist_id>/<period>/survey")
@roles_required("admin")
def import_survey(checklist_id: str, period: str):
    """Upload the sociological-survey figures of a round (CSV, all or nothing): each bad
    line named, nothing imported; or every figure written (docs/checklists.md §18)."""
    from ..services import survey

    back = url_for("assessments.round_progress", checklist_id=checklist_id, period=period)
    form = SurveyForm()
    if not form.validate_on_submit():
        flash(_("Choose a CSV file to import."), "error")
        return redirect(back)
    stream, size = form.file.data.stream, None
    try:  # the upload's real size, for the message when it is too large
        stream.seek(0, 2)
        size = stream.tell()
        stream.seek(0)
    except (AttributeError, OSError):
        pass
    raw = form.file.data.read(survey.MAX_BYTES + 1)
    try:
        done = survey.import_survey(store(), scope(), checklist=checklist_id, period=period,
                                    raw=raw, source=form.file.data.filename or "", size=size)
    except survey.SurveyRefused as exc:
        return render_template("assessments/survey_errors.html", back=back,
                               message=translate(exc.message),
                               errors=[translate(p) for p in exc.details.get("problems", ())]
                               ), 400
    except ServiceError as exc:
        from .errors import status_of

        return render_template("assessments/survey_errors.html", back=back,
                               message=translate(exc.message), errors=[]), status_of(exc)
    flash(_("%(figures)s survey figures imported into %(count)s assessments.",
            figures=done.count, count=len(done.figures)), "success")
    return redirect(back)


__all__ = ["bp", "csrf", "view_context"]
