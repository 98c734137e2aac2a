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
import difflib
import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, Iterable, Mapping

from .messages import N_
from .numbers import MAX_NUMBER, is_multiple, is_number, to_decimal, to_fraction, within_limits

FORMAT = 1
CHECKLIST_KINDS = ("inspection", "self_check", "any")
#: ``cadence`` values → the kind of period (domain/periods.py) a record of the checklist covers.
CADENCES = {"weekly": "week", "monthly": "month", "quarterly": "quarter",
            "half_yearly": "half", "yearly": "year"}
SCORED_TYPES = ("yesno", "choice", "score", "ratio", "count")
ADJUSTMENT_TYPES = ("bonus", "penalty")
CRITERION_TYPES = SCORED_TYPES + ("info",) + ADJUSTMENT_TYPES
ON_ZERO = ("na", "full", "zero")
INPUT_KINDS = ("number", "text", "date")
DEFAULT_SCORE_STEP = Decimal("0.25")
#: Digits a number in a checklist may have, before and after the point together
#: (points, steps, band limits, option values): 15 is what a float holds exactly.
MAX_NUMBER_DIGITS = 15
#: The longest ``remedy_days`` (ten years): a deadline must stay a real date.
MAX_REMEDY_DAYS = 3650

CHECKLIST_ID_RE = re.compile(r"^[a-z0-9_-]+$")
ITEM_ID_RE = re.compile(r"^[A-Za-z0-9_.-]+$")

_COMMON_KEYS = {
    "id", "text", "type", "points", "help", "na_allowed", "evidence",
    "evidence_required", "remedy", "remedy_owner", "remedy_days",
}
_TYPE_KEYS = {
    "yesno": set(),
    "choice": {"options"},
    "score": {"step"},
    "ratio": {"inputs", "numerator", "denominator", "bands", "proportional", "on_zero", "decimal",
              "may_exceed", "at_most_denominator"},
    "count": {"inputs", "count", "bands", "decimal"},
    "info": {"inputs", "decimal", "actions"},
    "bonus": {"step"},
    "penalty": {"step"},
}
_CHECKLIST_KEYS = {"format", "id", "version", "title", "kind", "cadence", "description", "bands",
                   "sections"}
_SECTION_KEYS = {"id", "title", "description", "criteria"}


class ChecklistError(ValueError):
    """A checklist file is invalid; ``problems`` lists every reason."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = list(problems)
        super().__init__("\n".join(f"{source}: {p}" for p in self.problems))


@dataclass(frozen=True)
class Band:
    """One scoring band of a ratio or count criterion: ``min <= value <= max`` → points."""

    points: Decimal
    min: Fraction | None = None
    max: Fraction | None = None

    def matches(self, value: Fraction) -> bool:
        """Exact comparison: 89.996 does not reach a ``min: 90`` band."""
        if self.min is not None and value < self.min:
            return False
        if self.max is not None and value > self.max:
            return False
        return True


@dataclass(frozen=True)
class Option:
    """One answer of a ``choice`` criterion."""

    value: Any
    label: str
    points: Decimal


@dataclass(frozen=True)
class InputField:
    """One number (or, on ``info`` criteria, text/date) asked for separately."""

    id: str
    label: str
    kind: str = "number"
    min: Decimal | None = None  # a narrower range than the global one (number inputs only)
    max: Decimal | None = None


@dataclass(frozen=True)
class ActionInputs:
    """Which inputs of an ``info`` criterion hold actions for the remediation plan.

    Each non-empty line of the ``action`` text input becomes a remediation item when the
    record is finalized; ``owner`` (text) and ``due`` (date) name the inputs that give
    every such item its owner and deadline (the weekly self-check's W16, DOMAIN §4).
    """

    action: str
    owner: str | None = None
    due: str | None = None


#: ``actions`` keys → the input kind each must name.
ACTION_KEYS = {"action": "text", "owner": "text", "due": "date"}


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

    @property
    def scored(self) -> bool:
        """True for criteria whose points count towards the maximum."""
        return self.type in SCORED_TYPES

    @property
    def adjustment(self) -> bool:
        """True for bonus and penalty lines (outside the maximum)."""
        return self.type in ADJUSTMENT_TYPES

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


class _Problems:
    """Collects problems as ``path: message`` lines."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.items.append(f"{path}: {message}" if path else message)


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _text(p: _Problems, obj: Mapping, key: str, path: str, required: bool = False) -> str:
    value = obj.get(key)
    if value is None:
        if required:
            p.add(_join(path, key), "is required")
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        p.add(_join(path, key), f"must be text, got {_describe(value)}")
        return ""
    value = str(value).strip()
    if required and not value:
        p.add(_join(path, key), "must not be empty")
    return value


def _flag(p: _Problems, obj: Mapping, key: str, path: str, default: bool = False) -> bool:
    value = obj.get(key, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        p.add(_join(path, key), f"must be true or false, got {_describe(value)}")
        return default
    return value


def _number(p: _Problems, obj: Mapping, key: str, path: str, *, required: bool = False,
            positive: bool = False, non_negative: bool = False) -> Decimal | None:
    value = obj.get(key)
    if value is None:
        if required:
            p.add(_join(path, key), "is required")
        return None
    if not is_number(value):
        p.add(_join(path, key), f"must be a number, got {_describe(value)}")
        return None
    number = to_decimal(value)
    if _number_too_long(p, _join(path, key), number):
        return None
    if positive and number <= 0:
        p.add(_join(path, key), f"must be greater than 0, got {value}")
        return None
    if non_negative and number < 0:
        p.add(_join(path, key), f"must not be negative, got {value}")
        return None
    return number


def number_digits(number: Decimal) -> int:
    """How many digits ``number`` has when written out in full (1E+300 has 301, 0.005 has 3)."""
    _sign, digits, exponent = number.normalize().as_tuple()
    if not isinstance(exponent, int):  # NaN or infinity
        return 0
    if exponent >= 0:
        return len(digits) + exponent
    return max(len(digits) + exponent, 0) - exponent


def _number_too_long(p: _Problems, path: str, number: Decimal) -> bool:
    digits = number_digits(number)
    if digits > MAX_NUMBER_DIGITS:
        p.add(path, N_("a number of %(digits)s digits is too long (at most %(max)s digits)",
                       digits=digits, max=MAX_NUMBER_DIGITS))
        return True
    return False


def _identifier(p: _Problems, obj: Mapping, path: str, pattern: re.Pattern) -> str:
    value = obj.get("id")
    if value is None:
        p.add(_join(path, "id"), "is required")
        return ""
    if isinstance(value, float):
        p.add(_join(path, "id"), f"must be text; write it in quotes (id: \"{value}\") so that "
                                 f"YAML does not read it as the number {value}")
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        p.add(_join(path, "id"), f"must be text, got {_describe(value)}")
        return ""
    value = str(value)
    if not pattern.match(value):
        allowed = "a-z, 0-9, _ and -" if pattern is CHECKLIST_ID_RE else "A-Z, a-z, 0-9, _, . and -"
        p.add(_join(path, "id"), f"{value!r} may only contain {allowed}")
    return value


def _unknown_keys(p: _Problems, obj: Mapping, allowed: Iterable[str], path: str,
                  context: str = "") -> None:
    for key in obj:
        if key not in allowed:
            where = f" for {context}" if context else ""
            close = difflib.get_close_matches(str(key), list(allowed), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            p.add(_join(path, str(key)),
                  f"unknown key{where}{hint} (allowed: {', '.join(sorted(allowed))})")


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"text {value!r}"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return repr(value)


def _rating_bands(p: _Problems, value: Any, path: str) -> tuple[RatingBand, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        p.add(path, f"must be a list of {{min, label}}, got {_describe(value)}")
        return ()
    bands = []
    for i, raw in enumerate(value):
        bpath = _join(path, i)
        if not isinstance(raw, Mapping):
            p.add(bpath, f"must be a mapping {{min, label}}, got {_describe(raw)}")
            continue
        _unknown_keys(p, raw, {"min", "label"}, bpath)
        minimum = _number(p, raw, "min", bpath, required=True)
        label = _text(p, raw, "label", bpath, required=True)
        if minimum is not None and not (0 <= minimum <= 100):
            p.add(_join(bpath, "min"), f"must be a percent between 0 and 100, got {minimum}")
        if minimum is not None and label:
            bands.append(RatingBand(minimum, label))
    return tuple(bands)


def _score_bands(p: _Problems, value: Any, path: str, points: Decimal | None) -> tuple[Band, ...]:
    if not isinstance(value, list) or not value:
        p.add(path, "must be a non-empty list of {min?, max?, points}")
        return ()
    bands = []
    for i, raw in enumerate(value):
        bpath = _join(path, i)
        if not isinstance(raw, Mapping):
            p.add(bpath, f"must be a mapping {{min?, max?, points}}, got {_describe(raw)}")
            continue
        _unknown_keys(p, raw, {"min", "max", "points"}, bpath)
        band_points = _number(p, raw, "points", bpath, required=True, non_negative=True)
        low = _number(p, raw, "min", bpath)
        high = _number(p, raw, "max", bpath)
        if band_points is not None and points is not None and band_points > points:
            p.add(bpath, f"points {_plain(band_points)} exceeds criterion points {_plain(points)}")
        if low is not None and high is not None and low > high:
            p.add(bpath, f"min {_plain(low)} is greater than max {_plain(high)}")
        if band_points is not None:
            bands.append(Band(band_points,
                              None if low is None else Fraction(low),
                              None if high is None else Fraction(high)))
    return tuple(bands)


def _plain(number: Decimal) -> str:
    text = format(number.normalize(), "f")
    return text


def _inputs(p: _Problems, value: Any, path: str, ctype: str) -> tuple[InputField, ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping) or not value:
        p.add(path, "must be a non-empty mapping {input_id: label}")
        return ()
    fields = []
    for key, spec in value.items():
        ipath = _join(path, str(key))
        key = str(key) if isinstance(key, (str, int)) and not isinstance(key, bool) else None
        if key is None or not ITEM_ID_RE.match(key):
            p.add(ipath, "input ids may only contain A-Z, a-z, 0-9, _, . and -")
            continue
        kind = "number"
        low = high = None
        if isinstance(spec, Mapping):
            _unknown_keys(p, spec, {"label", "type", "min", "max"}, ipath)
            label = _text(p, spec, "label", ipath, required=True)
            kind = spec.get("type", "number")
            if kind not in INPUT_KINDS:
                p.add(_join(ipath, "type"), f"must be one of {', '.join(INPUT_KINDS)}, got {_describe(kind)}")
                kind = "number"
            elif kind != "number" and ctype != "info":
                p.add(_join(ipath, "type"), f"{kind} inputs are only allowed on info criteria")
            low, high = _input_range(p, spec, ipath, kind)
        elif isinstance(spec, str) and spec.strip():
            label = spec.strip()
        else:
            p.add(ipath, f"must be a label (text), got {_describe(spec)}")
            continue
        fields.append(InputField(key, label, kind, low, high))
    return tuple(fields)


def _input_range(p: _Problems, spec: Mapping, path: str,
                 kind: str) -> tuple[Decimal | None, Decimal | None]:
    """``min`` / ``max`` of a number input: inside 0..10^12, min <= max."""
    if "min" not in spec and "max" not in spec:
        return None, None
    if kind != "number":
        p.add(path, f"min and max apply to number inputs only, not {kind}")
        return None, None
    low = _number(p, spec, "min", path, non_negative=True)
    high = _number(p, spec, "max", path, non_negative=True)
    for key, bound in (("min", low), ("max", high)):
        if bound is not None and not within_limits(bound):
            p.add(_join(path, key), f"must be at most {_plain(MAX_NUMBER)} with at most 6 "
                                    f"decimals, got {_plain(bound)}")
            return None, None
    if low is not None and high is not None and low > high:
        p.add(path, f"min {_plain(low)} is greater than max {_plain(high)}")
        return None, None
    return low, high


def _input_refs(p: _Problems, raw: Mapping, key: str, path: str,
                inputs: tuple[InputField, ...]) -> tuple[str, ...]:
    value = raw.get(key)
    kpath = _join(path, key)
    if value is None:
        p.add(kpath, "is required (a list of input ids)")
        return ()
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list) or not value:
        p.add(kpath, "must be a non-empty list of input ids")
        return ()
    known = {f.id: f for f in inputs}
    refs = []
    for i, ref in enumerate(value):
        ref = str(ref)
        if ref in refs:
            p.add(_join(kpath, i), f"input {ref!r} is listed twice (it would be counted twice)")
        elif ref not in known:
            p.add(_join(kpath, i), f"refers to unknown input {ref!r} "
                                  f"(inputs: {', '.join(known) or 'none'})")
        elif known[ref].kind != "number":
            p.add(_join(kpath, i), f"input {ref!r} is {known[ref].kind}, not a number")
        else:
            refs.append(ref)
    return tuple(refs)


def _actions(p: _Problems, value: Any, path: str,
             inputs: tuple[InputField, ...]) -> ActionInputs | None:
    """``actions: {action: <text input>, owner?: <text input>, due?: <date input>}``."""
    if value is None:
        return None
    if not isinstance(value, Mapping) or not value:
        p.add(path, "must be a mapping {action, owner?, due?} naming inputs of this criterion")
        return None
    before = len(p.items)
    _unknown_keys(p, value, set(ACTION_KEYS), path)
    known = {f.id: f for f in inputs}
    refs: dict[str, str] = {}
    for key, kind in ACTION_KEYS.items():
        ref = value.get(key)
        kpath = _join(path, key)
        if ref is None:
            if key == "action":
                p.add(kpath, "is required (the text input that lists the actions)")
            continue
        if isinstance(ref, bool) or not isinstance(ref, (str, int)):
            p.add(kpath, f"must be an input id, got {_describe(ref)}")
            continue
        ref = str(ref)
        if ref not in known:
            p.add(kpath, f"refers to unknown input {ref!r} (inputs: {', '.join(known) or 'none'})")
        elif known[ref].kind != kind:
            p.add(kpath, f"input {ref!r} is {known[ref].kind}, not {kind}")
        elif ref in refs.values():
            p.add(kpath, f"input {ref!r} is already used for "
                         f"{next(k for k, v in refs.items() if v == ref)}")
        else:
            refs[key] = ref
    if len(p.items) > before:
        return None
    return ActionInputs(**refs)


def _options(p: _Problems, value: Any, path: str, points: Decimal | None) -> tuple[Option, ...]:
    if not isinstance(value, list) or not value:
        p.add(path, "must be a non-empty list of {value?, label, points}")
        return ()
    options = []
    seen: set[str] = set()
    for i, raw in enumerate(value):
        opath = _join(path, i)
        if not isinstance(raw, Mapping):
            p.add(opath, f"must be a mapping {{value?, label, points}}, got {_describe(raw)}")
            continue
        _unknown_keys(p, raw, {"value", "label", "points"}, opath)
        label = _text(p, raw, "label", opath, required=True)
        opt_points = _number(p, raw, "points", opath, required=True, non_negative=True)
        opt_value = raw.get("value", label)
        if opt_value is None or isinstance(opt_value, (list, Mapping)):
            p.add(_join(opath, "value"), f"must be text or a number, got {_describe(opt_value)}")
            continue
        if is_number(opt_value) and _number_too_long(p, _join(opath, "value"),
                                                      to_decimal(opt_value)):
            continue
        key = str(opt_value)
        if key in seen:
            p.add(_join(opath, "value"), f"duplicate option value {opt_value!r}")
        seen.add(key)
        if opt_points is not None and points is not None and opt_points > points:
            p.add(opath, f"points {_plain(opt_points)} exceeds criterion points {_plain(points)}")
        if label and opt_points is not None:
            options.append(Option(opt_value, label, opt_points))
    return tuple(options)


def _criterion(p: _Problems, raw: Any, path: str, section_id: str) -> Criterion | None:
    if not isinstance(raw, Mapping):
        p.add(path, f"must be a mapping describing a criterion, got {_describe(raw)}")
        return None
    cid = _identifier(p, raw, path, ITEM_ID_RE)
    text = _text(p, raw, "text", path, required=True)
    ctype = raw.get("type")
    if ctype not in CRITERION_TYPES:
        p.add(_join(path, "type"), f"must be one of {', '.join(CRITERION_TYPES)}, "
                                   f"got {_describe(ctype)}")
        _unknown_keys(p, raw, _COMMON_KEYS.union(*_TYPE_KEYS.values()), path)
        return None
    _unknown_keys(p, raw, _COMMON_KEYS | _TYPE_KEYS[ctype], path, f"type {ctype}")

    if ctype == "info":
        points = _number(p, raw, "points", path, non_negative=True)
        if points:
            p.add(_join(path, "points"), "info criteria are recorded only and have no points")
        points = None
    else:
        points = _number(p, raw, "points", path, required=True, positive=True)

    remedy_days = raw.get("remedy_days")
    if remedy_days is not None and (isinstance(remedy_days, bool) or not isinstance(remedy_days, int)
                                    or remedy_days < 0):
        p.add(_join(path, "remedy_days"), f"must be a whole number of days (0 or more), "
                                          f"got {_describe(remedy_days)}")
        remedy_days = None
    elif remedy_days is not None and remedy_days > MAX_REMEDY_DAYS:
        p.add(_join(path, "remedy_days"), N_("must be at most %(max)s days (ten years)",
                                             max=MAX_REMEDY_DAYS))
        remedy_days = None

    kwargs: dict[str, Any] = dict(
        id=cid, section=section_id, text=text, type=ctype, points=points,
        help=_text(p, raw, "help", path),
        na_allowed=_flag(p, raw, "na_allowed", path),
        evidence=_text(p, raw, "evidence", path),
        evidence_required=_flag(p, raw, "evidence_required", path),
        remedy=_text(p, raw, "remedy", path),
        remedy_owner=_text(p, raw, "remedy_owner", path),
        remedy_days=remedy_days,
    )

    if ctype == "choice":
        kwargs["options"] = _options(p, raw.get("options"), _join(path, "options"), points)
    if ctype in ("score", "bonus", "penalty"):
        step = _number(p, raw, "step", path, positive=True)
        if step is None and ctype == "score":
            step = DEFAULT_SCORE_STEP
        kwargs["step"] = step
    if ctype in ("ratio", "count", "info"):
        inputs = _inputs(p, raw.get("inputs"), _join(path, "inputs"), ctype)
        kwargs["inputs"] = inputs
        kwargs["decimal"] = _flag(p, raw, "decimal", path)
        if ctype in ("ratio", "count") and "inputs" not in raw:
            p.add(_join(path, "inputs"), f"is required for type {ctype}")
    if ctype == "info":
        kwargs["actions"] = _actions(p, raw.get("actions"), _join(path, "actions"),
                                     kwargs["inputs"])
    if ctype == "ratio":
        kwargs["numerator"] = _input_refs(p, raw, "numerator", path, kwargs["inputs"])
        kwargs["denominator"] = _input_refs(p, raw, "denominator", path, kwargs["inputs"])
        proportional = _flag(p, raw, "proportional", path)
        kwargs["proportional"] = proportional
        has_bands = raw.get("bands") is not None
        if proportional and has_bands:
            p.add(path, "give either bands or proportional: true, not both")
        elif not proportional and not has_bands:
            p.add(path, "a ratio criterion needs bands or proportional: true")
        if has_bands:
            kwargs["bands"] = _score_bands(p, raw.get("bands"), _join(path, "bands"), points)
        on_zero = raw.get("on_zero", "na")
        if on_zero not in ON_ZERO:
            p.add(_join(path, "on_zero"), f"must be one of {', '.join(ON_ZERO)}, got {_describe(on_zero)}")
            on_zero = "na"
        kwargs["on_zero"] = on_zero
        kwargs["may_exceed"] = _flag(p, raw, "may_exceed", path)
        kwargs["at_most_denominator"] = _flag(p, raw, "at_most_denominator", path)
        if kwargs["may_exceed"] and kwargs["at_most_denominator"]:
            p.add(path, "may_exceed and at_most_denominator contradict each other: give one")
    if ctype == "count":
        kwargs["count"] = _input_refs(p, raw, "count", path, kwargs["inputs"])
        kwargs["bands"] = _score_bands(p, raw.get("bands"), _join(path, "bands"), points)
    return Criterion(**kwargs)


def parse_checklist(data: Any, source: str = "<checklist>") -> Checklist:
    """Validate the data of one checklist file and build a frozen :class:`Checklist`.

    Raises :class:`ChecklistError` with every problem found, not just the first.
    """
    p = _Problems()
    data = normalize(data)
    if not isinstance(data, Mapping):
        raise ChecklistError(source, [f"a checklist must be a mapping at the top level, "
                                      f"got {_describe(data)}"])
    _unknown_keys(p, data, _CHECKLIST_KEYS, "")
    fmt = data.get("format")
    if fmt is None:
        p.add("format", "is required (format: 1)")
    elif fmt != FORMAT or isinstance(fmt, bool):
        p.add("format", f"unsupported format {fmt!r}; this version reads format {FORMAT}")
    checklist_id = _identifier(p, data, "", CHECKLIST_ID_RE)
    if isinstance(data.get("version"), float):
        p.add("version", f"write the version in quotes (version: \"{data['version']}\") so that "
                         f"YAML keeps it as written")
        version = str(data["version"])
    else:
        version = _text(p, data, "version", "", required=True)
    title = _text(p, data, "title", "", required=True)
    kind = data.get("kind")
    if kind not in CHECKLIST_KINDS:
        p.add("kind", f"must be one of {', '.join(CHECKLIST_KINDS)}, got {_describe(kind)}")
        kind = "any"
    cadence = data.get("cadence")
    if cadence is not None and cadence not in CADENCES:
        p.add("cadence", f"must be one of {', '.join(CADENCES)}, got {_describe(cadence)}")
        cadence = None
    description = _text(p, data, "description", "")
    bands = _rating_bands(p, data.get("bands"), "bands")

    sections: list[Section] = []
    raw_sections = data.get("sections")
    if not isinstance(raw_sections, list) or not raw_sections:
        p.add("sections", "must be a non-empty list of sections")
        raw_sections = []
    section_ids: dict[str, str] = {}
    criterion_ids: dict[str, str] = {}
    for si, raw_section in enumerate(raw_sections):
        spath = _join("sections", si)
        if not isinstance(raw_section, Mapping):
            p.add(spath, f"must be a mapping {{id, title, criteria}}, got {_describe(raw_section)}")
            continue
        _unknown_keys(p, raw_section, _SECTION_KEYS, spath)
        sid = _identifier(p, raw_section, spath, ITEM_ID_RE)
        if sid and sid in section_ids:
            p.add(_join(spath, "id"), f"duplicate section id {sid!r} (also {section_ids[sid]})")
        elif sid:
            section_ids[sid] = spath
        stitle = _text(p, raw_section, "title", spath, required=True)
        raw_criteria = raw_section.get("criteria")
        if not isinstance(raw_criteria, list) or not raw_criteria:
            p.add(_join(spath, "criteria"), "must be a non-empty list of criteria")
            raw_criteria = []
        criteria = []
        for ci, raw_criterion in enumerate(raw_criteria):
            cpath = _join(_join(spath, "criteria"), ci)
            criterion = _criterion(p, raw_criterion, cpath, sid)
            if criterion is None:
                continue
            if criterion.id and criterion.id in criterion_ids:
                p.add(_join(cpath, "id"), f"duplicate criterion id {criterion.id!r} "
                                          f"(also {criterion_ids[criterion.id]})")
            elif criterion.id:
                criterion_ids[criterion.id] = cpath
            criteria.append(criterion)
        sections.append(Section(sid, stitle, tuple(criteria),
                                _text(p, raw_section, "description", spath)))

    if p.items:
        raise ChecklistError(source, p.items)
    return Checklist(
        id=checklist_id, version=version, title=title, kind=kind, sections=tuple(sections),
        bands=bands, description=description, hash=content_hash(data), data=data,
        cadence=cadence,
    )


def check_step(value: Fraction, step: Decimal | None) -> bool:
    """True if ``value`` lies on the criterion's step grid (or there is no step)."""
    return step is None or is_multiple(value, to_fraction(step))
