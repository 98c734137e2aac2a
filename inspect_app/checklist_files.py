"""Reading checklist files from disk (YAML or JSON) into validated checklists.

The pure validation lives in :mod:`inspect_app.domain.checklist`; this module adds
file handling: YAML syntax errors with line and column, duplicate keys (which
YAML would otherwise silently drop), unique ids across a folder, and a cache
that re-reads a file only when it changed.
"""
from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .domain.checklist import Checklist, ChecklistError, parse_checklist

CHECKLIST_SUFFIXES = (".yaml", ".yml", ".json")


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
                None, None, "a mapping key must be text or a number", key_node.start_mark)
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_text(text: str, source: str) -> Any:
    """Parse YAML (or JSON, a subset of YAML) text; errors give line and column."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = exc.problem or exc.context or "invalid YAML"
        raise ChecklistError(source, [f"{where}{problem}"]) from None
    except yaml.YAMLError as exc:
        raise ChecklistError(source, [f"invalid YAML: {exc}"]) from None


def load_text(text: str, source: str) -> Checklist:
    """Validate the text of one checklist file."""
    return parse_checklist(parse_text(text, source), source)


def load_file(path: str | os.PathLike) -> Checklist:
    """Read and validate one checklist file."""
    path = Path(path)
    source = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ChecklistError(source, [f"cannot read file: {exc.strerror or exc}"]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ChecklistError(source, [f"not UTF-8 text (byte {exc.start})"]) from None
    if path.suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ChecklistError(source, [f"line {exc.lineno}, column {exc.colno}: {exc.msg}"]) from None
        return parse_checklist(data, source)
    return load_text(text, source)


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


def load_files(paths: list[Path]) -> LoadReport:
    """Load several files, collecting every problem (including duplicate ids across files)."""
    checklists: dict[str, Checklist] = {}
    where: dict[str, str] = {}
    problems: list[str] = []
    for path in paths:
        try:
            checklist = load_file(path)
        except ChecklistError as exc:
            problems.extend(f"{exc.source}: {p}" for p in exc.problems)
            continue
        if checklist.id in checklists:
            problems.append(f"{path}: id: checklist id {checklist.id!r} is already used by "
                            f"{where[checklist.id]}")
            continue
        checklists[checklist.id] = checklist
        where[checklist.id] = str(path)
    return LoadReport(checklists, problems, len(paths))


class ChecklistLibrary:
    """The checklists of one folder, re-read when a file changes.

    Invalid files are left out (and their problems kept in ``problems``) so
    that one broken file never takes the whole service down.
    """

    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory)
        self._lock = threading.Lock()
        self._signature: tuple = ()
        self._report = LoadReport({}, [], 0)

    def _current_signature(self) -> tuple:
        signature = []
        for path in checklist_paths(self.directory):
            try:
                stat = path.stat()
            except OSError:
                continue
            signature.append((path.name, stat.st_mtime_ns, stat.st_size))
        return tuple(signature)

    def _refresh(self) -> LoadReport:
        signature = self._current_signature()
        with self._lock:
            if signature != self._signature:
                self._report = load_files(checklist_paths(self.directory))
                self._signature = signature
            return self._report

    def all(self) -> list[Checklist]:
        """Every valid checklist, ordered by title."""
        return sorted(self._refresh().checklists.values(), key=lambda c: (c.title, c.id))

    def get(self, checklist_id: str) -> Checklist | None:
        """The checklist with this id, or None."""
        return self._refresh().checklists.get(checklist_id)

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
