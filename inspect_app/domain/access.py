"""Who may see and change what (DESIGN §8). Pure rules over plain records.

Roles:

* ``admin`` — everything.
* ``viewer`` — reads everything, changes nothing.
* ``inspector`` — reads the records of the units they inspect (units of any
  inspection whose team they are on); changes only the inspections whose team
  they are on; starts inspections of any unit; verifies remediation items of
  their inspections.
* ``unit`` — a commune officer bound to one unit: that unit's self-checks
  (read and write), its finalized inspections (read only) and its remediation
  plan (progress, evidence, status up to done, and the plan's own columns: cause,
  owner, co-operating units, expected output — never verification). Nothing of
  any other unit — except the units merged into theirs (``Scope.unit_codes``): the
  history of the old communes follows them into the new one.

The web layer answers 404, not 403, for a record the user may not see, so that
ids of other units' records cannot be probed.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol


class Actor(Protocol):
    """What the rules need to know about the acting user."""

    username: str
    role: str
    unit: str | None


class RecordLike(Protocol):
    """What the rules need to know about an inspection (full record or summary)."""

    unit: str
    kind: str
    status: str


@dataclass(frozen=True)
class Scope:
    """The acting user plus the units an inspector inspects (empty for other roles).

    ``inspected_units`` may be given as a function: it is then called once, the first
    time a rule needs it — finding an inspector's units means reading the whole index,
    which saving an answer of one's own inspection never needs.
    """

    user: Actor
    units_source: frozenset[str] | Callable[[], Iterable[str]] = field(default_factory=frozenset)
    own_source: frozenset[str] | Callable[[], Iterable[str]] | None = None

    def __init__(self, user: Actor,
                 inspected_units: frozenset[str] | Callable[[], Iterable[str]] = frozenset(),
                 unit_codes: frozenset[str] | Callable[[], Iterable[str]] | None = None):
        object.__setattr__(self, "user", user)
        object.__setattr__(self, "units_source", inspected_units)
        object.__setattr__(self, "own_source", unit_codes)

    @functools.cached_property
    def inspected_units(self) -> frozenset[str]:
        source = self.units_source
        return frozenset(source() if callable(source) else source)

    @functools.cached_property
    def unit_codes(self) -> frozenset[str]:
        """A unit user's unit and the units merged into it (whose records are its history
        now; ``domain/units.py``); by default just the user's unit."""
        source = self.own_source
        if source is None:
            return frozenset([self.user.unit]) if self.user.unit else frozenset()
        codes = frozenset(source() if callable(source) else source)
        return codes | ({self.user.unit} if self.user.unit else set())

    @property
    def role(self) -> str:
        return self.user.role

    # ---------------------------------------------------------------- units

    def sees_all_units(self) -> bool:
        """Admins and viewers see every unit."""
        return self.role in ("admin", "viewer")

    def can_view_unit(self, unit_code: str) -> bool:
        """May the user see this unit's records at all?"""
        if self.sees_all_units():
            return True
        if self.role == "unit":
            return unit_code in self.unit_codes
        if self.role == "inspector":
            return unit_code in self.inspected_units
        return False

    # ---------------------------------------------------------------- inspections

    def on_team(self, record: object) -> bool:
        team = getattr(record, "team", ()) or ()
        names = {getattr(m, "username", m) for m in team}
        return self.user.username in names

    def inspects(self, record: RecordLike) -> bool:
        """An inspector on the team of an inspection or assessment. A self-check's team
        is its unit's officers: one made an inspector since has no rights on it through
        that team (the unit's own record is not theirs to write any more)."""
        return (self.role == "inspector" and record.kind != "self_check"
                and self.on_team(record))

    def can_view(self, record: RecordLike) -> bool:
        """May the user read this inspection or self-check?"""
        if self.sees_all_units():
            return True
        if self.role == "unit":
            if record.unit not in self.unit_codes:
                return False
            # an assessment is the unit's to self-score and explain from the start
            return record.kind in ("self_check", "assessment") or record.status == "finalized"
        if self.role == "inspector":
            return self.inspects(record) or record.unit in self.inspected_units
        return False

    def can_view_items(self, record: RecordLike) -> bool:
        """May the user see (and, by :meth:`can_update_item`, work on) the record's
        remediation items? As :meth:`can_view`, and for the unit also while an inspection
        finalized before is reopened for a correction: its items stay the unit's plan
        (:func:`items_hidden_from_unit`)."""
        if self.role == "unit" and record.unit in self.unit_codes:
            return not items_hidden_from_unit(record)
        return self.can_view(record)

    def can_edit(self, record: RecordLike) -> bool:
        """May the user change answers, photos, team or findings (while draft)? The
        answers of an assessment are the unit's self-score: only the unit writes them
        (the province appraises in rounds of its own, :meth:`is_province`)."""
        if record.kind == "assessment":
            return self.role == "unit" and record.unit in self.unit_codes
        if self.role == "admin":
            return True
        if self.role == "inspector":
            return self.inspects(record)
        if self.role == "unit":
            return record.kind == "self_check" and record.unit in self.unit_codes
        return False

    def can_start(self, kind: str, unit_code: str) -> bool:
        """May the user start an inspection (or self-check) of this unit?"""
        if self.role == "admin":
            return True
        if kind in ("inspection", "assessment"):
            return self.role == "inspector"
        if kind == "self_check":
            return self.role == "unit" and unit_code == self.user.unit
        return False

    # ---------------------------------------------------------------- assessments (§10)

    def is_province(self, record: RecordLike) -> bool:
        """The appraising side of an assessment: an admin or an inspector on its team."""
        return self.role == "admin" or (self.role == "inspector" and self.on_team(record))

    def is_assessed_unit(self, record: RecordLike) -> bool:
        """The assessed side: a user of the assessment's unit."""
        return self.role == "unit" and record.unit in self.unit_codes

    def can_advance(self, record: RecordLike, stage: str | None) -> bool:
        """Moving an assessment on from ``stage``: the unit may end ``self`` and
        ``explanation``; the province every stage."""
        if self.is_province(record):
            return True
        return stage in ("self", "explanation") and self.is_assessed_unit(record)

    def is_lead(self, record: object) -> bool:
        team = getattr(record, "team", ()) or ()
        return any(getattr(m, "username", None) == self.user.username
                   and getattr(m, "role", None) == "lead" for m in team)

    def can_reopen(self, record: RecordLike) -> bool:
        """Reopening a finalized record: an admin or the team lead."""
        if self.role == "admin":
            return True
        if record.kind == "self_check" and self.role == "unit":
            return record.unit in self.unit_codes and self.is_lead(record)
        return self.inspects(record) and self.is_lead(record)

    # ---------------------------------------------------------------- remediation

    def can_update_item(self, record: RecordLike) -> bool:
        """Progress, status (up to done), evidence and the unit's own plan columns (cause,
        owner, co-operating units, output): the unit itself, or the inspection's team."""
        if self.role == "unit":
            return record.unit in self.unit_codes
        return self.role == "admin" or self.inspects(record)

    def can_verify_item(self, record: RecordLike) -> bool:
        """Only the inspecting side verifies (or sends back) a done item.

        For a unit's own self-check plan the unit cannot verify its own work;
        an inspector of that unit or an admin can.
        """
        if self.role == "admin":
            return True
        if self.role != "inspector":
            return False
        return self.inspects(record) or record.unit in self.inspected_units

    def can_plan(self, record: RecordLike) -> bool:
        """Add free findings, edit every column of an item (finding, action, due…) and
        mark a shortcoming "no action needed"."""
        if self.role == "admin":
            return True
        if self.role == "inspector":
            return self.inspects(record)
        # a unit plans its own self-check actions
        return (self.role == "unit" and record.kind == "self_check"
                and record.unit in self.unit_codes)


def items_hidden_from_unit(record: Any) -> bool:
    """Whether a record's remediation items are hidden from its unit's users: those of an
    inspection never finalized are the inspectors' draft; once finalized they are the
    unit's plan, also while the record is reopened (``finalized_once``). ``record``: an
    inspection, its summary, or a summary's stored form."""
    get = record.get if isinstance(record, dict) else (lambda key: getattr(record, key, None))
    return (get("kind") == "inspection" and get("status") != "finalized"
            and not get("finalized_once"))
