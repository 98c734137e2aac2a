"""What every criterion type parses its format keys with (DESIGN.md §3).

Problems are collected as ``path: message`` lines; each reader adds its problem and
returns a usable default, so that one pass over a file lists *every* problem. The
value objects that several types share (options, bands, inputs) live here too.
Standard library only.
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from ..messages import N_, Message
from ..numbers import (
    MAX_NUMBER,
    POINT_DECIMALS,
    decimals_of,
    is_number,
    to_decimal,
    within_limits,
)

#: Digits a number in a checklist may have, before and after the point together
#: (points, steps, band limits, option values): 15 is what a float holds exactly.
MAX_NUMBER_DIGITS = 15
INPUT_KINDS = ("number", "text", "date")
ITEM_ID_RE = re.compile(r"[A-Za-z0-9_.-]+")


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
    """One answer of a ``choice`` criterion (or one of the ticks of a ``multi``)."""

    value: Any
    label: str
    points: Decimal


def option_text(value: Any) -> str:
    """An option's value as a form writes it: the same text as the browser's ``String()``
    of that value read back from JSON (true, false; 2 for 2.0; 1.5; text as it is), so
    that a page ticks the boxes of the stored answer (a box "2.0" against a 2 stayed
    unticked, "True" against true could never be chosen)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


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


class Problems:
    """Collects problems as ``path: message`` lines. ``frozen``: the checklist is one
    stored before (a record's snapshot, a published version): rules added since for new
    checklists (points to hundredths) do not make it unreadable."""

    def __init__(self, frozen: bool = False) -> None:
        self.items: list[str] = []
        self.frozen = frozen

    def add(self, path: str, message: str) -> None:
        if not path:
            self.items.append(message)
        elif isinstance(message, Message):  # kept translatable, with its path apart
            self.items.append(Message("%(path)s: %(problem)s", path=path, problem=message))
        else:
            self.items.append(f"{path}: {message}")


def join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def text_of(p: Problems, obj: Mapping, key: str, path: str, required: bool = False) -> str:
    value = obj.get(key)
    if value is None:
        if required:
            p.add(join(path, key), N_("is required"))
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        p.add(join(path, key), N_("must be text, got %(value)s", value=describe(value)))
        return ""
    value = str(value).strip()
    if required and not value:
        p.add(join(path, key), N_("must not be empty"))
    return value


def flag_of(p: Problems, obj: Mapping, key: str, path: str, default: bool = False) -> bool:
    value = obj.get(key, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        p.add(join(path, key), N_("must be true or false, got %(value)s", value=describe(value)))
        return default
    return value


def number_of(p: Problems, obj: Mapping, key: str, path: str, *, required: bool = False,
            positive: bool = False, non_negative: bool = False,
            hundredths: bool = False) -> Decimal | None:
    """The number at ``obj[key]`` or None (a problem added when it is given but not
    fit). ``hundredths``: points, scored and shown to two decimals, so that 0,125 is not
    shown as 0,13 and a line worth it fully met stays below its maximum."""
    value = obj.get(key)
    if value is None:
        if required:
            p.add(join(path, key), N_("is required"))
        return None
    if not is_number(value):
        p.add(join(path, key), N_("must be a number, got %(value)s", value=describe(value)))
        return None
    number = to_decimal(value)
    if number_too_long(p, join(path, key), number):
        return None
    if positive and number <= 0:
        p.add(join(path, key), N_("must be greater than 0, got %(value)s", value=value))
        return None
    if non_negative and number < 0:
        p.add(join(path, key), N_("must not be negative, got %(value)s", value=value))
        return None
    if hundredths and not p.frozen and decimals_of(number) > POINT_DECIMALS:
        p.add(join(path, key), N_("points have at most 2 decimals, got %(value)s", value=value))
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


def number_too_long(p: Problems, path: str, number: Decimal) -> bool:
    digits = number_digits(number)
    if digits > MAX_NUMBER_DIGITS:
        p.add(path, N_("a number of %(digits)s digits is too long (at most %(max)s digits)",
                       digits=digits, max=MAX_NUMBER_DIGITS))
        return True
    return False


def unknown_keys(p: Problems, obj: Mapping, allowed: Iterable[str], path: str,
                  context: str = "") -> None:
    names = ", ".join(sorted(allowed))
    for key in obj:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), list(allowed), n=1)
            if context and close:
                message = N_("unknown key for %(context)s; did you mean %(close)s? "
                             "(allowed: %(allowed)s)", context=context, close=repr(close[0]),
                             allowed=names)
            elif context:
                message = N_("unknown key for %(context)s (allowed: %(allowed)s)",
                             context=context, allowed=names)
            elif close:
                message = N_("unknown key; did you mean %(close)s? (allowed: %(allowed)s)",
                             close=repr(close[0]), allowed=names)
            else:
                message = N_("unknown key (allowed: %(allowed)s)", allowed=names)
            p.add(join(path, str(key)), message)


def describe(value: Any) -> Any:
    """What a problem says it got: a translatable word for the kind of value ("a list",
    "text 'x'"), the value itself for true/false and numbers (a number stays a number,
    so that a message writes it the reader's way: 60,5 in Vietnamese)."""
    if value is None:
        return N_("nothing")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return N_("text %(value)s", value=repr(value))
    if isinstance(value, (list, tuple)):
        return N_("a list")
    if isinstance(value, Mapping):
        return N_("a mapping")
    if isinstance(value, (int, float, Decimal)):
        return value  # type: ignore[return-value]
    return repr(value)


def score_bands(p: Problems, value: Any, path: str, points: Decimal | None) -> tuple[Band, ...]:
    if not isinstance(value, list) or not value:
        p.add(path, N_("must be a non-empty list of {min?, max?, points}"))
        return ()
    bands = []
    for i, raw in enumerate(value):
        bpath = join(path, i)
        if not isinstance(raw, Mapping):
            p.add(bpath, N_("must be a mapping {min?, max?, points}, got %(value)s",
                            value=describe(raw)))
            continue
        unknown_keys(p, raw, {"min", "max", "points"}, bpath)
        band_points = number_of(p, raw, "points", bpath, required=True, non_negative=True,
                                hundredths=True)
        low = number_of(p, raw, "min", bpath)
        high = number_of(p, raw, "max", bpath)
        if band_points is not None and points is not None and band_points > points:
            p.add(bpath, N_("points %(points)s exceeds criterion points %(max)s",
                            points=Decimal(plain(band_points)), max=Decimal(plain(points))))
        if low is not None and high is not None and low > high:
            p.add(bpath, N_("min %(min)s is greater than max %(max)s", min=Decimal(plain(low)),
                            max=Decimal(plain(high))))
        if band_points is not None:
            bands.append(Band(band_points,
                              None if low is None else Fraction(low),
                              None if high is None else Fraction(high)))
    return tuple(bands)


def plain(number: Decimal) -> str:
    text = format(number.normalize(), "f")
    return text


def input_fields(p: Problems, value: Any, path: str, ctype: str) -> tuple[InputField, ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping) or not value:
        p.add(path, N_("must be a non-empty mapping {input_id: label}"))
        return ()
    fields = []
    for key, spec in value.items():
        ipath = join(path, str(key))
        key = str(key) if isinstance(key, (str, int)) and not isinstance(key, bool) else None
        if key is None or not ITEM_ID_RE.fullmatch(key):
            p.add(ipath, N_("input ids may only contain A-Z, a-z, 0-9, _, . and -"))
            continue
        kind = "number"
        low = high = None
        if isinstance(spec, Mapping):
            unknown_keys(p, spec, {"label", "type", "min", "max"}, ipath)
            label = text_of(p, spec, "label", ipath, required=True)
            kind = spec.get("type", "number")
            if kind not in INPUT_KINDS:
                p.add(join(ipath, "type"), N_("must be one of %(allowed)s, got %(value)s",
                                              allowed=", ".join(INPUT_KINDS),
                                              value=describe(kind)))
                kind = "number"
            elif kind != "number" and ctype != "info":
                p.add(join(ipath, "type"), N_("%(kind)s inputs are only allowed on info criteria",
                                              kind=kind))
            low, high = _input_range(p, spec, ipath, kind)
        elif isinstance(spec, str) and spec.strip():
            label = spec.strip()
        else:
            p.add(ipath, N_("must be a label (text), got %(value)s", value=describe(spec)))
            continue
        fields.append(InputField(key, label, kind, low, high))
    return tuple(fields)


def _input_range(p: Problems, spec: Mapping, path: str,
                 kind: str) -> tuple[Decimal | None, Decimal | None]:
    """``min`` / ``max`` of a number input: inside 0..10^12, min <= max."""
    if "min" not in spec and "max" not in spec:
        return None, None
    if kind != "number":
        p.add(path, N_("min and max apply to number inputs only, not %(kind)s", kind=kind))
        return None, None
    low = number_of(p, spec, "min", path, non_negative=True)
    high = number_of(p, spec, "max", path, non_negative=True)
    for key, bound in (("min", low), ("max", high)):
        if bound is not None and not within_limits(bound):
            p.add(join(path, key), N_("must be at most %(max)s with at most 6 decimals, got "
                                       "%(value)s", max=plain(MAX_NUMBER), value=plain(bound)))
            return None, None
    if low is not None and high is not None and low > high:
        p.add(path, N_("min %(min)s is greater than max %(max)s", min=Decimal(plain(low)),
                        max=Decimal(plain(high))))
        return None, None
    return low, high


def input_refs(p: Problems, raw: Mapping, key: str, path: str,
                inputs: tuple[InputField, ...]) -> tuple[str, ...]:
    value = raw.get(key)
    kpath = join(path, key)
    if value is None:
        p.add(kpath, N_("is required (a list of input ids)"))
        return ()
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list) or not value:
        p.add(kpath, N_("must be a non-empty list of input ids"))
        return ()
    known = {f.id: f for f in inputs}
    refs = []
    for i, ref in enumerate(value):
        ref = str(ref)
        if ref in refs:
            p.add(join(kpath, i), N_("input %(input)s is listed twice (it would be counted twice)",
                                     input=repr(ref)))
        elif ref not in known:
            p.add(join(kpath, i), N_("refers to unknown input %(input)s (inputs: %(known)s)",
                                     input=repr(ref), known=", ".join(known) or "—"))
        elif known[ref].kind != "number":
            p.add(join(kpath, i), N_("input %(input)s is %(kind)s, not a number", input=repr(ref),
                                     kind=known[ref].kind))
        else:
            refs.append(ref)
    return tuple(refs)


def action_inputs(p: Problems, value: Any, path: str,
             inputs: tuple[InputField, ...]) -> ActionInputs | None:
    """``actions: {action: <text input>, owner?: <text input>, due?: <date input>}``."""
    if value is None:
        return None
    if not isinstance(value, Mapping) or not value:
        p.add(path, N_("must be a mapping {action, owner?, due?} naming inputs of this criterion"))
        return None
    before = len(p.items)
    unknown_keys(p, value, set(ACTION_KEYS), path)
    known = {f.id: f for f in inputs}
    refs: dict[str, str] = {}
    for key, kind in ACTION_KEYS.items():
        ref = value.get(key)
        kpath = join(path, key)
        if ref is None:
            if key == "action":
                p.add(kpath, N_("is required (the text input that lists the actions)"))
            continue
        if isinstance(ref, bool) or not isinstance(ref, (str, int)):
            p.add(kpath, N_("must be an input id, got %(value)s", value=describe(ref)))
            continue
        ref = str(ref)
        if ref not in known:
            p.add(kpath, N_("refers to unknown input %(input)s (inputs: %(known)s)", input=repr(ref),
                            known=", ".join(known) or N_("none")))
        elif known[ref].kind != kind:
            p.add(kpath, N_("input %(input)s is %(kind)s, not %(wanted)s", input=repr(ref),
                            kind=known[ref].kind, wanted=kind))
        elif ref in refs.values():
            p.add(kpath, N_("input %(input)s is already used for %(key)s", input=repr(ref),
                            key=next(k for k, v in refs.items() if v == ref)))
        else:
            refs[key] = ref
    if len(p.items) > before:
        return None
    return ActionInputs(**refs)


def options_of(p: Problems, value: Any, path: str, points: Decimal | None) -> tuple[Option, ...]:
    if not isinstance(value, list) or not value:
        p.add(path, N_("must be a non-empty list of {value?, label, points}"))
        return ()
    options = []
    seen: set[str] = set()
    for i, raw in enumerate(value):
        opath = join(path, i)
        if not isinstance(raw, Mapping):
            p.add(opath, N_("must be a mapping {value?, label, points}, got %(value)s",
                            value=describe(raw)))
            continue
        unknown_keys(p, raw, {"value", "label", "points"}, opath)
        label = text_of(p, raw, "label", opath, required=True)
        opt_points = number_of(p, raw, "points", opath, required=True, non_negative=True,
                               hundredths=True)
        opt_value = raw.get("value", label)
        if opt_value is None or isinstance(opt_value, (list, Mapping)):
            p.add(join(opath, "value"), N_("must be text or a number, got %(value)s",
                                           value=describe(opt_value)))
            continue
        if is_number(opt_value) and number_too_long(p, join(opath, "value"),
                                                      to_decimal(opt_value)):
            continue
        key = option_text(opt_value)  # 2 and 2.0, or true and "true", read alike on a form
        if key in seen:
            p.add(join(opath, "value"), N_("duplicate option value %(value)s",
                                           value=repr(opt_value)))
        seen.add(key)
        if opt_points is not None and points is not None and opt_points > points:
            p.add(opath, N_("points %(points)s exceeds criterion points %(max)s",
                            points=Decimal(plain(opt_points)), max=Decimal(plain(points))))
        if label and opt_points is not None:
            options.append(Option(opt_value, label, opt_points))
    return tuple(options)


