"""Read-only pages of the loaded checklists."""
from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, abort, current_app, render_template

from .i18n import translate

bp = Blueprint("checklists", __name__, url_prefix="/checklists")


def library():
    """The app's checklist library."""
    return current_app.extensions["checklists"]


def index():
    """Home page: until more exists, the list of checklists."""
    return checklist_list()


@bp.get("/")
def checklist_list():
    """Every loaded checklist, and the problems of files that failed to load."""
    lib = library()
    return render_template("checklists/index.html", checklists=lib.all(),
                           problems=[translate(problem) for problem in lib.problems],
                           folder=current_app.config["CHECKLISTS_DIR"])


@bp.get("/<checklist_id>")
def detail(checklist_id: str):
    """One checklist with its sections, criteria, rules and points."""
    checklist = library().get(checklist_id)
    if checklist is None:
        abort(404)
    section_max = {s.id: sum((c.points for c in s.criteria if c.scored), Decimal(0))
                   for s in checklist.sections}
    return render_template("checklists/detail.html", checklist=checklist, section_max=section_max)
