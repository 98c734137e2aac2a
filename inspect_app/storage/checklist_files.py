"""Reading checklist files from disk (YAML or JSON) into validated checklists.

The pure validation lives in :mod:`inspect_app.domain.checklist`; this module adds
file handling: YAML syntax errors with line and column, duplicate keys (which
YAML would otherwise silently drop), unique ids across a folder, and a cache
that re-reads a file only when it changed.

A checklist file is data from outside, so reading one has limits
(docs/checklists.md §1): its size is checked before it is read, and the YAML
event stream is scanned for nesting depth, aliases and the number of values
before anything is built from it. A file 100.000 levels deep would otherwise
overflow the C stack of the YAML composer (a segfault), and a "billion laughs"
file of nested aliases would expand without end.
"""
from __future__ import annotations

import datetime as _dt
import functools
import json
import os
import re
import string
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..domain.checklist import (
    MAX_NUMBER_DIGITS,
    Checklist,
    ChecklistError,
    parse_checklist,
)
from ..domain.messages import N_
from ..domain.text import sort_key

CHECKLIST_SUFFIXES = (".yaml", ".yml", ".json")

#: Limits of one checklist file (the shipped cchc-xa.yaml is 61 KB, 8 levels deep,
#: about 1.300 values and no aliases).
MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 20
MAX_ALIASES = 100
MAX_VALUES = 20_000  # counting each alias as a copy of what it names; ~9× cchc-xa.yaml


_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: 10× faster


class _StrictLoader(_SafeLoader):  # type: ignore[misc, valid-type]
    """A safe YAML loader that refuses duplicate keys instead of keeping the last one."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    mapping: dict = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be text or a number", key_node.start_mark) from None
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class _Refused(Exception):
    """A limit of :data:`MAX_DEPTH` etc. was passed; ``message`` says which and where."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _where(mark: Any) -> dict[str, int]:
    return {"line": mark.line + 1, "column": mark.column + 1}


def _digits(text: str) -> int:
    """The digits of a number as written (hexadecimal ones too: 0xffff… is no shorter)."""
    if text.lstrip("+-").lower().startswith("0x"):
        text = text.lstrip("+-")[2:]
    return sum(ch in string.hexdigits for ch in text)


def _scalar_checked(construct, what: str):
    """A YAML scalar constructor that refuses numbers with too many digits (``int()`` of
    5.000 digits raises, and smaller giants make no sense in a checklist), and turns a
    value it cannot read (``2025-02-30``, ``!!bool maybe``) into a message with its place."""

    def constructor(loader: _StrictLoader, node: yaml.ScalarNode):
        if what == "number":
            digits = _digits(node.value)
            if digits > MAX_NUMBER_DIGITS or len(node.value) > 4 * MAX_NUMBER_DIGITS:
                raise _Refused(N_("line %(line)s, column %(column)s: a number of %(digits)s "
                                  "digits is too long (at most %(max)s digits)",
                                  digits=digits, max=MAX_NUMBER_DIGITS, **_where(node.start_mark)))
        try:
            return construct(loader, node)
        except (ValueError, KeyError, TypeError, OverflowError):
            value = node.value if len(node.value) <= 40 else node.value[:39] + "…"
            raise yaml.constructor.ConstructorError(
                None, None, f"{value!r} is not a valid {what}", node.start_mark) from None

    return constructor


for _tag, _what in (("int", "number"), ("float", "number"), ("bool", "true/false value"),
                    ("timestamp", "date"), ("binary", "binary value")):
    _construct = yaml.constructor.SafeConstructor.yaml_constructors[f"tag:yaml.org,2002:{_tag}"]
    _StrictLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _scalar_checked(_construct, _what))


def _scan_limits(text: str) -> None:
    """Walk the YAML event stream (flat, no recursion) and stop at the first limit passed.

    Nothing is built yet: depth counts nested collections, aliases are counted, and
    each alias adds the values and levels of what it refers to, so nested aliases
    that would expand to billions of values are refused after a few thousand events.
    """
    depth = aliases = values = 0
    open_nodes: list[list[Any]] = []  # [anchor, values before it, its depth, deepest level inside]
    anchors: dict[str, tuple[int, int]] = {}  # anchor -> (values, levels) of what it names
    for event in yaml.parse(text, Loader=_SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            values += 1
            depth += 1
            if depth > MAX_DEPTH:
                raise _Refused(N_("line %(line)s, column %(column)s: nested more than %(max)s "
                                  "levels deep", max=MAX_DEPTH, **_where(event.start_mark)))
            open_nodes.append([event.anchor, values - 1, depth, depth])
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, before, level, deepest = open_nodes.pop()
            depth -= 1
            if open_nodes:
                open_nodes[-1][3] = max(open_nodes[-1][3], deepest)
            if anchor is not None:
                anchors[anchor] = (values - before, deepest - level + 1)
        elif isinstance(event, yaml.ScalarEvent):
            values += 1
            if event.anchor is not None:
                anchors[event.anchor] = (1, 0)
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise _Refused(N_("line %(line)s, column %(column)s: more than %(max)s aliases "
                                  "(*name)", max=MAX_ALIASES, **_where(event.start_mark)))
            if event.anchor not in anchors:
                if any(node[0] == event.anchor for node in open_nodes):
                    raise _Refused(N_("line %(line)s, column %(column)s: the alias *%(name)s "
                                      "refers to a value that contains it",
                                      name=event.anchor, **_where(event.start_mark)))
                continue  # an undefined alias: the composer reports it
            size, levels = anchors[event.anchor]
            values += size
            if depth + levels > MAX_DEPTH:
                raise _Refused(N_("line %(line)s, column %(column)s: nested more than %(max)s "
                                  "levels deep", max=MAX_DEPTH, **_where(event.start_mark)))
            if open_nodes:
                open_nodes[-1][3] = max(open_nodes[-1][3], depth + levels)
        if values > MAX_VALUES:
            raise _Refused(N_("line %(line)s, column %(column)s: more than %(max)s values "
                              "(an alias counts as a copy of what it names)",
                              max=MAX_VALUES, **_where(event.start_mark)))


def parse_text(text: str, source: str) -> Any:
    """Parse YAML (or JSON, a subset of YAML) text; errors give line and column.

    The limits (:data:`MAX_DEPTH`, :data:`MAX_ALIASES`, :data:`MAX_VALUES`, number
    length) are checked on the event stream before any value is built.
    """
    try:
        _scan_limits(text)
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - SafeLoader subclass
    except _Refused as exc:
        raise ChecklistError(source, [exc.message]) from None
    except yaml.MarkedYAMLError as exc:  # where in the user's language (PyYAML's own words)
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        raise ChecklistError(source, [N_("line %(line)s, column %(column)s: %(problem)s",
                                         line=mark.line + 1, column=mark.column + 1,
                                         problem=problem) if mark
                                      else N_("invalid YAML: %(problem)s", problem=problem)]
                             ) from None
    except yaml.reader.ReaderError as exc:  # a control character, e.g. in binary junk
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        character = f"#x{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        raise ChecklistError(source, [N_("line %(line)s, column %(column)s: %(problem)s",
                                         line=line, column=column,
                                         problem=f"unacceptable character {character}: "
                                                 f"{exc.reason}")]) from None
    except yaml.YAMLError as exc:
        raise ChecklistError(source, [N_("invalid YAML: %(problem)s", problem=str(exc))]) from None


def load_text(text: str, source: str, *, frozen: bool = False) -> Checklist:
    """Validate the text of one checklist file (``frozen``: a published version)."""
    return parse_checklist(parse_text(text, source), source, frozen=frozen)


_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*+(?:"|\Z)|[\[{]|[\]}]', re.DOTALL)


def _json_number(convert):
    def parse(text: str):
        if _digits(text) > MAX_NUMBER_DIGITS or len(text) > 4 * MAX_NUMBER_DIGITS:
            raise _Refused(N_("a number of %(digits)s digits is too long (at most %(max)s digits)",
                              digits=_digits(text), max=MAX_NUMBER_DIGITS))
        return convert(text)

    return parse


def parse_json(text: str, source: str) -> Any:
    """Parse a JSON checklist (or the answers file of ``score``) with the same limits of
    depth and number length as YAML."""
    depth = 0
    for token in _JSON_TOKENS.finditer(text):
        bracket = token.group()
        if bracket in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                line = text.count("\n", 0, token.start()) + 1
                column = token.start() - (text.rfind("\n", 0, token.start()) + 1) + 1
                raise ChecklistError(source, [N_("line %(line)s, column %(column)s: nested more "
                                                 "than %(max)s levels deep", max=MAX_DEPTH,
                                                 line=line, column=column)])
        elif bracket in "]}":
            depth = max(depth - 1, 0)
    try:
        return json.loads(text, parse_int=_json_number(int), parse_float=_json_number(float))
    except _Refused as exc:
        raise ChecklistError(source, [exc.message]) from None
    except json.JSONDecodeError as exc:
        raise ChecklistError(source, [f"line {exc.lineno}, column {exc.colno}: {exc.msg}"]) from None
    except (RecursionError, ValueError) as exc:  # a last resort: never a traceback
        raise ChecklistError(source, [f"invalid JSON: {exc}"]) from None


def load_file(path: str | os.PathLike, *, frozen: bool = False) -> Checklist:
    """Read and validate one checklist file (at most :data:`MAX_FILE_BYTES`; ``frozen``:
    as the library reads its seeds, without the rules added since for new checklists)."""
    path = Path(path)
    source = str(path)
    try:
        size = path.stat().st_size
        if size <= MAX_FILE_BYTES:
            with path.open("rb") as handle:
                raw = handle.read(MAX_FILE_BYTES + 1)  # the file may grow while it is read
            size = len(raw)
    except OSError as exc:
        raise ChecklistError(source, [f"cannot read file: {exc.strerror or exc}"]) from None
    if size > MAX_FILE_BYTES:
        raise ChecklistError(source, [N_("the file is too large: %(size)s bytes (at most "
                                         "%(max)s bytes)", size=size, max=MAX_FILE_BYTES)])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ChecklistError(source, [N_("not UTF-8 text (byte %(byte)s)", byte=exc.start)]) from None
    return _parsed(text, source, path.suffix == ".json", frozen)


@functools.lru_cache(maxsize=64)
def _parsed(text: str, source: str, is_json: bool, frozen: bool = False) -> Checklist:
    """The checklist of a file's text, parsed once per process for the same text (a
    Checklist is immutable): every app of a process (test apps, a reload) shares it."""
    if is_json:
        return parse_checklist(parse_json(text, source), source, frozen=frozen)
    return load_text(text, source, frozen=frozen)


def checklist_paths(directory: str | os.PathLike) -> list[Path]:
    """The checklist files of a folder, in name order."""
    folder = Path(directory)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if p.suffix in CHECKLIST_SUFFIXES and p.is_file() and not p.name.startswith("."))


@dataclass
class LoadReport:
    """The outcome of loading a set of files: checklists by id, and every problem."""

    checklists: dict[str, Checklist]
    problems: list[str]
    files: int


def load_files(paths: list[Path], *, frozen: bool = False) -> LoadReport:
    """Load several files, collecting every problem (including duplicate ids across files;
    ``frozen``: as :func:`load_file`)."""
    checklists: dict[str, Checklist] = {}
    where: dict[str, str] = {}
    problems: list[str] = []
    for path in paths:
        try:
            checklist = load_file(path, frozen=frozen)
        except ChecklistError as exc:
            problems.extend(N_("%(file)s: %(problem)s", file=exc.source, problem=p)
                            for p in exc.problems)
            continue
        if checklist.id in checklists:
            problems.append(f"{path}: id: checklist id {checklist.id!r} is already used by "
                            f"{where[checklist.id]}")
            continue
        checklists[checklist.id] = checklist
        where[checklist.id] = str(path)
    return LoadReport(checklists, problems, len(paths))


@dataclass(frozen=True)
class Version:
    """One version of a checklist: 0 is the seed file of ``INSPECT_CHECKLISTS_DIR``, 1… the
    versions published in the app (kept by the store)."""

    number: int
    checklist: Checklist
    published: _dt.datetime | None  # when it was published (UTC); None: the seed


def _source(checklist_id: str, number: int) -> str:
    return f"{checklist_id} v{number:04d}"


def _by_title(checklist: Checklist) -> tuple:
    return (sort_key(checklist.title), checklist.id)


class ChecklistLibrary:
    """The checklists of the seed folder and those published in the app, re-read when
    either changes.

    ``directory`` (``INSPECT_CHECKLISTS_DIR``) is the seed. Checklists published in the app
    are kept by ``store`` (the Store Protocol, storage/base.py: files of the data folder
    for the embedded store, rows for PostgreSQL), every version of an id, and whether it
    is retired from new records. The newest published version of an id wins over its seed
    file. Every server on the same store sees the same checklists: each use of the library
    reads the store's cheap stamp (and stats the seed files) and loads again when it
    changed. Without a store, only the seed folder is read.

    Invalid files are left out (and their problems kept in ``problems``) so
    that one broken file never takes the whole service down.
    """

    def __init__(self, directory: str | os.PathLike, store: Any = None):
        self.directory = Path(directory)
        self.store = store
        self._lock = threading.Lock()
        self._signature: tuple = ()
        self._report = LoadReport({}, [], 0)
        self._published: dict[str, int] = {}
        self._retired: frozenset[str] = frozenset()

    def _current_signature(self) -> tuple:
        signature = []
        for path in checklist_paths(self.directory):
            try:
                stat = path.stat()
            except OSError:
                continue
            signature.append((str(path), stat.st_mtime_ns, stat.st_size))
        stamp = self.store.checklists_stamp() if self.store is not None else ""
        return tuple(signature), stamp

    def _refresh(self) -> LoadReport:
        signature = self._current_signature()
        with self._lock:
            if signature != self._signature:
                report = load_files(checklist_paths(self.directory), frozen=True)
                published: dict[str, int] = {}
                retired: set[str] = set()
                if self.store is not None:
                    retired = set(self.store.retired_checklists())
                    for version in sorted(self.store.latest_checklist_versions(),
                                          key=lambda v: v.checklist_id):
                        source = _source(version.checklist_id, version.number)
                        try:
                            latest = load_text(version.text, source, frozen=True)
                        except ChecklistError as exc:
                            report.problems.extend(N_("%(file)s: %(problem)s", file=exc.source,
                                                      problem=p) for p in exc.problems)
                            continue
                        if latest.id != version.checklist_id:
                            report.problems.append(f"{source}: id: {latest.id!r} is not the id "
                                                   f"it was published as")
                            continue
                        report.checklists[latest.id] = latest
                        published[latest.id] = version.number
                        report.files += 1
                self._report, self._published = report, published
                self._retired = frozenset(retired)
                self._signature = signature
            return self._report

    def all(self) -> list[Checklist]:
        """Every valid checklist not retired (what new records may use), ordered by title
        (diacritics folded: "Đánh giá" with the D's)."""
        report = self._refresh()
        return sorted((c for c in report.checklists.values() if c.id not in self._retired),
                      key=_by_title)

    def everything(self) -> list[Checklist]:
        """Every valid checklist, retired ones too, ordered by title (as :meth:`all`)."""
        return sorted(self._refresh().checklists.values(), key=_by_title)

    def get(self, checklist_id: str) -> Checklist | None:
        """The current version of the checklist with this id (retired or not), or None."""
        return self._refresh().checklists.get(checklist_id)

    def retired(self, checklist_id: str) -> bool:
        """True when the checklist is retired from new inspections."""
        self._refresh()
        return checklist_id in self._retired

    def versions(self, checklist_id: str) -> list[Version]:
        """Every version of a checklist, oldest first: the seed file (0) if there is one,
        then each published version that can be read."""
        out: list[Version] = []
        seed = load_files(checklist_paths(self.directory), frozen=True).checklists.get(
            checklist_id)
        if seed is not None:
            out.append(Version(0, seed, None))
        if self.store is None:
            return out
        for version in self.store.checklist_versions(checklist_id):
            try:
                out.append(Version(version.number, load_text(
                    version.text, _source(checklist_id, version.number), frozen=True),
                    version.published_at))
            except ChecklistError:
                continue
        return out

    def _store(self, what: str) -> Any:
        if self.store is None:
            raise ChecklistError(what, [N_("no store for published checklists")])
        return self.store

    def publish(self, checklist: Checklist, text: str) -> Version:
        """Keep ``text`` (a valid checklist file's text, of ``checklist``) as the next version
        of its id; it is the current one from now on, for every server. Publishing a
        retired checklist brings it back."""
        version = self._store(checklist.id).publish_checklist(checklist.id, text)
        return Version(version.number, checklist, version.published_at)

    def set_retired(self, checklist_id: str, retired: bool) -> None:
        """Retire a checklist from new inspections (records started keep their copy), or
        bring it back."""
        self._store(checklist_id).set_checklist_retired(checklist_id, retired)

    @property
    def problems(self) -> list[str]:
        """Problems of the files that could not be loaded."""
        return list(self._refresh().problems)


def resolve(reference: str, directory: str | os.PathLike) -> Checklist:
    """A checklist named by file path or by id within ``directory``."""
    path = Path(reference)
    if path.suffix in CHECKLIST_SUFFIXES or os.sep in reference or path.is_file():
        return load_file(path)
    report = load_files(checklist_paths(directory))
    if reference in report.checklists:
        return report.checklists[reference]
    known = ", ".join(sorted(report.checklists)) or "none"
    raise ChecklistError(reference, [f"no checklist with id {reference!r} in {directory} "
                                     f"(known: {known})"])
