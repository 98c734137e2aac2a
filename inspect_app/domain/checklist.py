"""Checklist model and validation (format 1, DESIGN.md §3).

:func:`parse_checklist` turns the plain data of one checklist file (already read
from YAML or JSON) into a frozen :class:`Checklist`, or raises
:class:`ChecklistError` listing *every* problem, each with the path inside the
file (``sections[2].criteria[4].bands[1]: points 3 exceeds criterion points 2``).

Standard library only: this module is shared by the web app, the command line
and the tests, and must stay importable without Flask or YAML.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from . import criteria
from .criteria.fields import (  # noqa: F401
    ACTION_KEYS,
    INPUT_KINDS,
    ITEM_ID_RE,
    MAX_NUMBER_DIGITS,
    ActionInputs,
    Band,
    InputField,
    Option,
    Problems,
    describe,
    flag_of,
    join,
    number_digits,
    number_of,
    option_text,
    text_of,
    unknown_keys,
)
from .criteria.ratio import ON_ZERO  # noqa: F401
from .criteria.score import DEFAULT_SCORE_STEP, check_step  # noqa: F401
from .messages import N_
from .numbers import is_number, to_decimal
from .text import LONG_TEXT

FORMAT = 1
CHECKLIST_KINDS = ("inspection", "self_check", "any")
#: ``cadence`` values → the kind of period (domain/periods.py) a record of the checklist covers.
CADENCES = {"weekly": "week", "monthly": "month", "quarterly": "quarter",
            "half_yearly": "half", "yearly": "year"}
#: Criterion types (domain/criteria/, one module each) by role.
SCORED_TYPES = criteria.names("scored")
ADJUSTMENT_TYPES = criteria.names("adjustment")
CRITERION_TYPES = criteria.names()
#: The longest ``remedy_days`` (ten years): a deadline must stay a real date.
MAX_REMEDY_DAYS = 3650

CHECKLIST_ID_RE = re.compile(r"[a-z0-9_-]+")

#: Keys every criterion may have, whatever its type (each type adds its own: ``keys``).
COMMON_KEYS = (
    "id", "text", "type", "points", "help", "na_allowed", "evidence",
    "evidence_required", "remedy", "remedy_owner", "remedy_days",
)
_CHECKLIST_KEYS = {"format", "id", "version", "title", "kind", "cadence", "description", "bands",
                   "sections"}
_SECTION_KEYS = {"id", "title", "description", "criteria", "survey"}


class ChecklistError(ValueError):
    """A checklist file is invalid; ``problems`` lists every reason."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = list(problems)
        super().__init__("\n".join(f"{source}: {p}" for p in self.problems))


@dataclass(frozen=True)
class RatingBand:
    """A checklist-level rating: the first band whose ``min <= percent`` names the result."""

    min: Decimal
    label: str


@dataclass(frozen=True)
class Criterion:
    """One line of a checklist, with everything needed to validate and score answers."""

    id: str
    section: str
    text: str
    type: str
    points: Decimal | None
    help: str = ""
    na_allowed: bool = False
    evidence: str = ""
    evidence_required: bool = False
    remedy: str = ""
    remedy_owner: str = ""
    remedy_days: int | None = None
    options: tuple[Option, ...] = ()
    step: Decimal | None = None
    inputs: tuple[InputField, ...] = ()
    numerator: tuple[str, ...] = ()
    denominator: tuple[str, ...] = ()
    count: tuple[str, ...] = ()
    bands: tuple[Band, ...] = ()
    proportional: bool = False
    on_zero: str = "na"
    decimal: bool = False
    actions: ActionInputs | None = None
    may_exceed: bool = False  # ratio: above 100 % is plausible (revenue against estimate)
    at_most_denominator: bool = False  # ratio: Σ numerator > Σ denominator is refused
    #: Its section is scored from a sociological survey (``survey: true``): its points are
    #: imported per unit, never self-scored or appraised.
    survey: bool = False

    @property
    def scored(self) -> bool:
        """True for criteria whose points count towards the maximum."""
        return criteria.get(self.type).role == "scored"

    @property
    def adjustment(self) -> bool:
        """True for bonus and penalty lines (outside the maximum)."""
        return criteria.get(self.type).role == "adjustment"

    @property
    def required_inputs(self) -> tuple[str, ...]:
        """Input ids that must all be given for the criterion to count as answered."""
        seen: dict[str, None] = {}
        for input_id in self.numerator + self.denominator + self.count:
            seen.setdefault(input_id, None)
        return tuple(seen)

    def input(self, input_id: str) -> InputField | None:
        """The input field with this id, or None."""
        for item in self.inputs:
            if item.id == input_id:
                return item
        return None

    def option(self, value: Any) -> Option | None:
        """The option answered by ``value`` (exact match, then by spelling)."""
        for option in self.options:
            if type(option.value) is type(value) and option.value == value:
                return option
        if isinstance(value, str):  # as a form or the browser writes it (option_text)
            for option in self.options:
                if option_text(option.value) == value:
                    return option
        if isinstance(value, bool):
            return None
        for option in self.options:
            if isinstance(option.value, bool):
                continue
            if is_number(option.value) and is_number(value):
                if to_decimal(option.value) == to_decimal(value):
                    return option
            elif str(option.value) == str(value):
                return option
        return None


@dataclass(frozen=True)
class Section:
    """A titled group of criteria; one phone screen when filling."""

    id: str
    title: str
    criteria: tuple[Criterion, ...]
    description: str = ""
    #: Scored from a sociological survey (*điều tra xã hội học*): points imported per unit.
    survey: bool = False


@dataclass(frozen=True)
class Checklist:
    """A validated, immutable checklist with the hash of its content."""

    id: str
    version: str
    title: str
    kind: str
    sections: tuple[Section, ...]
    bands: tuple[RatingBand, ...] = ()
    description: str = ""
    hash: str = ""
    data: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    cadence: str | None = None  # declared: a key of CADENCES; None: any period

    def __post_init__(self) -> None:
        index = {c.id: c for s in self.sections for c in s.criteria}
        object.__setattr__(self, "_index", index)

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        """All criteria in checklist order."""
        return tuple(c for s in self.sections for c in s.criteria)

    def criterion(self, criterion_id: str) -> Criterion | None:
        """The criterion with this id, or None."""
        return self._index.get(criterion_id)  # type: ignore[attr-defined]

    @property
    def survey_sections(self) -> tuple[Section, ...]:
        """The sections scored from a sociological survey (``survey: true``)."""
        return tuple(s for s in self.sections if s.survey)

    @property
    def survey_criteria(self) -> tuple[Criterion, ...]:
        """The criteria of the survey sections, in checklist order."""
        return tuple(c for s in self.sections if s.survey for c in s.criteria)

    def section(self, section_id: str) -> Section | None:
        """The section with this id, or None."""
        for section in self.sections:
            if section.id == section_id:
                return section
        return None

    @property
    def period_kind(self) -> str | None:
        """The kind of period its records cover ("week", "year"…), None if any goes."""
        return CADENCES.get(self.cadence or "")

    @property
    def max_points(self) -> Decimal:
        """Sum of the points of all scored criteria (before any N/A)."""
        return sum((c.points for c in self.criteria if c.scored and c.points), Decimal(0))

    def band_for(self, percent: Decimal) -> str | None:
        """Label of the first rating band whose ``min <= percent``."""
        for band in self.bands:
            if band.min <= percent:
                return band.label
        return None


# --------------------------------------------------------------------------- parsing


def normalize(data: Any) -> Any:
    """NFC-normalise every string and turn YAML dates into ISO strings, recursively."""
    if isinstance(data, str):
        return unicodedata.normalize("NFC", data)
    if isinstance(data, Mapping):
        return {normalize(k): normalize(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [normalize(v) for v in data]
    if isinstance(data, (_dt.date, _dt.datetime)):
        return data.isoformat()
    return data


def content_hash(data: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a checklist's data (key order and layout ignored)."""
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                           default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _identifier(p: Problems, obj: Mapping, path: str, pattern: re.Pattern) -> str:
    value = obj.get("id")
    if value is None:
        p.add(join(path, "id"), N_("is required"))
        return ""
    if isinstance(value, float):
        p.add(join(path, "id"), N_("must be text; write it in quotes (id: \"%(value)s\") so that "
                                    "YAML does not read it as the number %(value)s",
                                    value=str(value)))
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        p.add(join(path, "id"), N_("must be text, got %(value)s", value=describe(value)))
        return ""
    value = str(value)
    if not pattern.fullmatch(value):
        if pattern is CHECKLIST_ID_RE:
            p.add(join(path, "id"), N_("%(id)s may only contain a-z, 0-9, _ and -",
                                        id=repr(value)))
        else:
            p.add(join(path, "id"), N_("%(id)s may only contain A-Z, a-z, 0-9, _, . and -",
                                        id=repr(value)))
    return value




def _long_texts(p: Problems, value: Any, path: str) -> None:
    """Refuse every text of the checklist (titles, criterion texts, help, labels, remedy
    texts…) longer than :data:`~.text.LONG_TEXT` characters: the workbook export would
    cut it to Excel's cell limit and its import would no longer give the same checklist."""
    if isinstance(value, str):
        if len(value) > LONG_TEXT:
            p.add(path, N_("is %(length)s characters long: at most %(max)s", length=len(value),
                           max=LONG_TEXT))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _long_texts(p, item, join(path, str(key)))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _long_texts(p, item, join(path, i))


def _rating_bands(p: Problems, value: Any, path: str) -> tuple[RatingBand, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        p.add(path, N_("must be a list of {min, label}, got %(value)s", value=describe(value)))
        return ()
    bands = []
    for i, raw in enumerate(value):
        bpath = join(path, i)
        if not isinstance(raw, Mapping):
            p.add(bpath, N_("must be a mapping {min, label}, got %(value)s", value=describe(raw)))
            continue
        unknown_keys(p, raw, {"min", "label"}, bpath)
        minimum = number_of(p, raw, "min", bpath, required=True)
        label = text_of(p, raw, "label", bpath, required=True)
        if minimum is not None and not (0 <= minimum <= 100):
            p.add(join(bpath, "min"), N_("must be a percent between 0 and 100, got %(value)s",
                                         value=minimum))
        if minimum is not None and label:
            bands.append(RatingBand(minimum, label))
    return tuple(bands)




def _criterion(p: Problems, raw: Any, path: str, section_id: str) -> Criterion | None:
    if not isinstance(raw, Mapping):
        p.add(path, N_("must be a mapping describing a criterion, got %(value)s",
                        value=describe(raw)))
        return None
    cid = _identifier(p, raw, path, ITEM_ID_RE)
    text = text_of(p, raw, "text", path, required=True)
    ctype = raw.get("type")
    if ctype not in CRITERION_TYPES:
        p.add(join(path, "type"), N_("must be one of %(allowed)s, got %(value)s",
                                     allowed=", ".join(CRITERION_TYPES), value=describe(ctype)))
        unknown_keys(p, raw, set(COMMON_KEYS).union(*(k.keys for k in criteria.TYPES.values())),
                     path)
        return None
    kind = criteria.get(ctype)
    unknown_keys(p, raw, set(COMMON_KEYS) | set(kind.keys), path,
                 N_("type %(type)s", type=ctype))

    if kind.role == "info":
        points = number_of(p, raw, "points", path, non_negative=True)
        if points:
            p.add(join(path, "points"), N_("info criteria are recorded only and have no points"))
        points = None
    else:
        points = number_of(p, raw, "points", path, required=True, positive=True,
                           hundredths=True)

    remedy_days = raw.get("remedy_days")
    if remedy_days is not None and (isinstance(remedy_days, bool) or not isinstance(remedy_days, int)
                                    or remedy_days < 0):
        p.add(join(path, "remedy_days"), N_("must be a whole number of days (0 or more), "
                                             "got %(value)s", value=describe(remedy_days)))
        remedy_days = None
    elif remedy_days is not None and remedy_days > MAX_REMEDY_DAYS:
        p.add(join(path, "remedy_days"), N_("must be at most %(max)s days (ten years)",
                                             max=MAX_REMEDY_DAYS))
        remedy_days = None

    kwargs: dict[str, Any] = dict(
        id=cid, section=section_id, text=text, type=ctype, points=points,
        help=text_of(p, raw, "help", path),
        na_allowed=flag_of(p, raw, "na_allowed", path),
        evidence=text_of(p, raw, "evidence", path),
        evidence_required=flag_of(p, raw, "evidence_required", path),
        remedy=text_of(p, raw, "remedy", path),
        remedy_owner=text_of(p, raw, "remedy_owner", path),
        remedy_days=remedy_days,
    )

    kwargs.update(kind.parse(p, raw, path, points))
    return Criterion(**kwargs)


def parse_checklist(data: Any, source: str = "<checklist>", *, frozen: bool = False
                    ) -> Checklist:
    """Validate the data of one checklist file and build a frozen :class:`Checklist`.

    Raises :class:`ChecklistError` with every problem found, not just the first.
    ``frozen``: a checklist stored before (a record's snapshot, a published version),
    read without the rules added since for new ones (:class:`Problems`).
    """
    p = Problems(frozen)
    data = normalize(data)
    if not isinstance(data, Mapping):
        raise ChecklistError(source, [N_("a checklist must be a mapping at the top level, "
                                         "got %(value)s", value=describe(data))])
    _long_texts(p, data, "")
    unknown_keys(p, data, _CHECKLIST_KEYS, "")
    fmt = data.get("format")
    if fmt is None:
        p.add("format", N_("is required (format: 1)"))
    elif fmt != FORMAT or isinstance(fmt, bool):
        p.add("format", N_("unsupported format %(format)s; this version reads format %(known)s",
                           format=repr(fmt), known=str(FORMAT)))
    checklist_id = _identifier(p, data, "", CHECKLIST_ID_RE)
    if isinstance(data.get("version"), float):
        p.add("version", N_("write the version in quotes (version: \"%(version)s\") so that "
                            "YAML keeps it as written", version=str(data["version"])))
        version = str(data["version"])
    else:
        version = text_of(p, data, "version", "", required=True)
    title = text_of(p, data, "title", "", required=True)
    kind = data.get("kind")
    if kind not in CHECKLIST_KINDS:
        p.add("kind", N_("must be one of %(allowed)s, got %(value)s",
                         allowed=", ".join(CHECKLIST_KINDS), value=describe(kind)))
        kind = "any"
    cadence = data.get("cadence")
    if cadence is not None and cadence not in CADENCES:
        p.add("cadence", N_("must be one of %(allowed)s, got %(value)s",
                            allowed=", ".join(CADENCES), value=describe(cadence)))
        cadence = None
    description = text_of(p, data, "description", "")
    bands = _rating_bands(p, data.get("bands"), "bands")

    sections: list[Section] = []
    raw_sections = data.get("sections")
    if not isinstance(raw_sections, list) or not raw_sections:
        p.add("sections", N_("must be a non-empty list of sections"))
        raw_sections = []
    section_ids: dict[str, str] = {}
    criterion_ids: dict[str, str] = {}
    for si, raw_section in enumerate(raw_sections):
        spath = join("sections", si)
        if not isinstance(raw_section, Mapping):
            p.add(spath, N_("must be a mapping {id, title, criteria}, got %(value)s",
                             value=describe(raw_section)))
            continue
        unknown_keys(p, raw_section, _SECTION_KEYS, spath)
        sid = _identifier(p, raw_section, spath, ITEM_ID_RE)
        if sid and sid in section_ids:
            p.add(join(spath, "id"), N_("duplicate section id %(id)s (also %(where)s)",
                                        id=repr(sid), where=section_ids[sid]))
        elif sid:
            section_ids[sid] = spath
        stitle = text_of(p, raw_section, "title", spath, required=True)
        raw_criteria = raw_section.get("criteria")
        if not isinstance(raw_criteria, list) or not raw_criteria:
            p.add(join(spath, "criteria"), N_("must be a non-empty list of criteria"))
            raw_criteria = []
        criteria = []
        for ci, raw_criterion in enumerate(raw_criteria):
            cpath = join(join(spath, "criteria"), ci)
            criterion = _criterion(p, raw_criterion, cpath, sid)
            if criterion is None:
                continue
            if criterion.id and criterion.id in criterion_ids:
                p.add(join(cpath, "id"), N_("duplicate criterion id %(id)s (also %(where)s)",
                                            id=repr(criterion.id),
                                            where=criterion_ids[criterion.id]))
            elif criterion.id:
                criterion_ids[criterion.id] = cpath
            criteria.append(criterion)
        survey = flag_of(p, raw_section, "survey", spath)
        if survey:
            for ci, criterion in enumerate(criteria):
                if criterion.type != "score":
                    p.add(join(join(join(spath, "criteria"), ci), "type"), N_(
                        "a survey section holds score criteria only (its points are "
                        "imported per unit), got %(type)s", type=criterion.type))
            criteria = [replace(c, survey=True) for c in criteria]
        sections.append(Section(sid, stitle, tuple(criteria),
                                text_of(p, raw_section, "description", spath), survey))

    if p.items:
        raise ChecklistError(source, p.items)
    return Checklist(
        id=checklist_id, version=version, title=title, kind=kind, sections=tuple(sections),
        bands=bands, description=description, hash=content_hash(data), data=data,
        cadence=cadence,
    )
