"""Bounded queries over the index, shared by every store.

A store keeps its index in groups (the TinyDB store: one shard file per unit; the
memory store: one group per unit) and hands each group's documents to an
:class:`IndexView`, rebuilt only when that group changes. A view sorts and filters
its documents once per kind of question and keeps the answer, so a list page costs
one merge over the groups' sorted lists (``heapq.merge``, stopping at the page) and a
count costs one ``len`` (or one ``bisect``) per group: the same with 1.000 or
100.000 records, as long as the number of units stays the same.

Documents are the plain dicts of :class:`InspectionSummary` (their ``items`` plain
dicts of :class:`ItemSummary`); views never change them, and callers get new objects
built from them (:func:`summary_of`, :func:`item_of`).
"""
from __future__ import annotations

import heapq
from bisect import bisect_left
from collections.abc import Callable, Iterable
from itertools import islice
from typing import Any

from ..domain.access import items_hidden_from_unit
from ..domain.models import ROLES, InspectionSummary, ItemSummary, Unit, User
from ..domain.remediation import item_number
from ..domain.text import fold, sort_key
from .base import InspectionQuery, ItemQuery, Page

Doc = dict[str, Any]
NO_DUE = "9999-12-31"  # items without a deadline sort after every dated one


def summary_of(doc: Doc) -> InspectionSummary:
    """A private :class:`InspectionSummary` of an index document."""
    summary = InspectionSummary.from_dict(doc)
    summary.team = list(summary.team)
    return summary


def item_of(doc: Doc) -> ItemSummary:
    """A private :class:`ItemSummary` of an item document."""
    return ItemSummary.from_dict(doc)


def _visible(doc: Doc, query: InspectionQuery | ItemQuery) -> bool:
    if not query.hide_draft_inspections:
        return True
    if isinstance(query, ItemQuery):  # the unit's plan: also while its record is reopened
        return not items_hidden_from_unit(doc)
    return not (doc.get("kind") == "inspection" and doc.get("status") != "finalized")


def _item_key(order: str, item: Doc) -> tuple:
    number = item_number(item.get("id"))
    if order == "done":  # done in the same second (a queue sent at once): in plan order
        return (item.get("done_at") or "", item.get("inspection") or "", number)
    return (item.get("due") or NO_DUE, item.get("inspection") or "", number)


class IndexView:
    """The index documents of one group, with memoised sorted answers (thread-safe:
    a race computes an answer twice, never a wrong one)."""

    def __init__(self, docs: Iterable[Doc]) -> None:
        self.by_unit: dict[str, list[Doc]] = {}
        for doc in docs:
            self.by_unit.setdefault(doc.get("unit"), []).append(doc)
        self._memo: dict[tuple, Any] = {}
        self._members: dict[str, set[str]] | None = None

    def units(self, wanted: frozenset[str] | None) -> list[str]:
        if wanted is None:
            return list(self.by_unit)
        return [u for u in self.by_unit if u in wanted]

    def members(self) -> dict[str, set[str]]:
        """``{unit: usernames on the team of any of its inspections or assessments}`` (a
        self-check's team is the unit's own officers: it makes nobody an inspector of it)."""
        if self._members is None:
            self._members = {u: {name for d in docs if d.get("kind") != "self_check"
                                 for name in d.get("team") or ()}
                             for u, docs in self.by_unit.items()}
        return self._members

    def inspections(self, unit: str, query: InspectionQuery) -> list[Doc]:
        """The unit's documents matching ``query``, in its order (descending)."""
        key = ("i", unit, query.period, query.checklist, query.kind, query.status,
               query.member, query.has_items, query.hide_draft_inspections, query.order)
        found = self._memo.get(key)
        if found is None:
            wanted = {k: v for k, v in (("period", query.period),
                                        ("checklist_id", query.checklist),
                                        ("kind", query.kind), ("status", query.status))
                      if v is not None}
            found = [d for d in self.by_unit.get(unit, ())
                     if all(d.get(k) == v for k, v in wanted.items())
                     and (query.member is None or query.member in (d.get("team") or ()))
                     and (not query.has_items or d.get("items_total"))
                     and _visible(d, query)
                     and (query.order != "finalized" or d.get("finalized_at"))]
            found.sort(key=inspection_sort_key(query.order), reverse=True)
            self._memo[key] = found
        return found

    def items(self, unit: str, query: ItemQuery) -> tuple[list[tuple[tuple, Doc, Doc]], list[tuple]]:
        """The unit's items matching the statuses, in order: ``(key, item, record)``
        triples and their keys (for bisecting on deadlines)."""
        key = ("t", unit, query.statuses, query.hide_draft_inspections, query.order)
        found = self._memo.get(key)
        if found is None:
            rows = [(_item_key(query.order, item), item, d)
                    for d in self.by_unit.get(unit, ()) if _visible(d, query)
                    for item in d.get("items") or ()
                    if query.statuses is None or item.get("status") in query.statuses]
            rows.sort(key=lambda row: row[0])
            found = self._memo[key] = (rows, [row[0] for row in rows])
        return found


def inspection_sort_key(order: str) -> Callable[[Doc], tuple]:
    if order == "finalized":
        return lambda d: (d.get("finalized_at") or "", d.get("id") or "")
    return lambda d: (d.get("created_at") or "", d.get("id") or "")


def _window(offset: int, limit: int | None) -> tuple[int, int | None]:
    offset = max(0, int(offset))
    return offset, None if limit is None else offset + max(0, int(limit))


def query_inspections(views: Iterable[IndexView], query: InspectionQuery, offset: int = 0,
                      limit: int | None = None) -> Page[InspectionSummary]:
    """One page of ``query`` over the groups of an index (see the module docstring)."""
    lists = [found for view in views for unit in view.units(query.units)
             if (found := view.inspections(unit, query))]
    total = sum(len(found) for found in lists)
    start, stop = _window(offset, limit)
    rows: list[Doc] = []
    if start < total and stop != start:
        merged = heapq.merge(*lists, key=inspection_sort_key(query.order), reverse=True)
        rows = list(islice(merged, start, stop))
    return Page([summary_of(d) for d in rows], total, start, limit)


def query_items(views: Iterable[IndexView], query: ItemQuery, offset: int = 0,
                limit: int | None = None) -> Page[tuple[ItemSummary, InspectionSummary]]:
    """One page of remediation items over the groups of an index."""
    slices = []
    for view in views:
        for unit in view.units(query.units):
            rows, keys = view.items(unit, query)
            lo, hi = 0, len(rows)
            if query.order == "due" and query.due_before is not None:
                hi = bisect_left(keys, (query.due_before,))
            if query.order == "due" and query.due_from is not None:
                lo = max(lo, bisect_left(keys, (query.due_from,)))
            if hi > lo:
                slices.append((rows, lo, hi))
    total = sum(hi - lo for _rows, lo, hi in slices)
    start, stop = _window(offset, limit)
    page: list[tuple[tuple, Doc, Doc]] = []
    if start < total and stop != start:
        merged = heapq.merge(*(islice(rows, lo, hi) for rows, lo, hi in slices),
                             key=lambda row: row[0])
        page = list(islice(merged, start, stop))
    records: dict[int, InspectionSummary] = {}
    out = []
    for _key, item, record in page:
        summary = records.get(id(record))
        if summary is None:
            summary = records[id(record)] = summary_of(record)
        out.append((item_of(item), summary))
    return Page(out, total, start, limit)


def units_with_member(views: Iterable[IndexView], username: str) -> set[str]:
    return {unit for view in views for unit, names in view.members().items()
            if username in names}


# -- units and users: one small file each, sorted once per version ---------------------

def unit_search_text(doc: Doc) -> str:
    """What a search of units looks in, folded: the code, the name and the former names
    (the lists show a record under the name its unit had on its day)."""
    names = [doc.get("name") or "", *(str(f.get("name") or "") for f in
                                      doc.get("former_names") or () if isinstance(f, dict))]
    return fold(" ".join([doc.get("code") or "", *names]))


class RecordView:
    """Units (or users) sorted once, with their folded search text, per version."""

    def __init__(self, docs: Iterable[Doc], kind: str) -> None:
        self.kind = kind
        self.searches: dict[tuple, list[Doc]] = {}
        self.merges: dict[str, str] = {}  # units: code -> merged_into of the merged ones
        if kind == "units":
            rows = [(sort_key(d.get("name") or ""), d) for d in docs]
            self.rows = [d for _k, d in sorted(rows, key=lambda r: (r[0], r[1].get("code")))]
            self.texts = [unit_search_text(d) for d in self.rows]
            self.by_key = {d.get("code"): d for d in self.rows}
            self.merges = {d.get("code"): d["merged_into"] for d in self.rows
                           if d.get("merged_into")}
        else:
            def rank(d: Doc) -> tuple:
                role = d.get("role")
                return (ROLES.index(role) if role in ROLES else len(ROLES), d.get("username") or "")
            self.rows = sorted(docs, key=rank)
            self.texts = [fold(f"{d.get('username') or ''} {d.get('full_name') or ''}")
                          for d in self.rows]
            self.by_key = {d.get("username"): d for d in self.rows}

    def page(self, search: str, codes: Iterable[str] | None, offset: int, limit: int | None,
             build: Callable[[Doc], Unit | User]) -> Page[Any]:
        words = tuple(fold(search or "").split())
        wanted = None if codes is None else frozenset(codes)
        if not words and wanted is None:
            chosen = self.rows
        else:
            # A search scans every folded name once; its pages after the first reuse it.
            chosen = self.searches.get((words, wanted))
            if chosen is None:
                chosen = [d for d, text in zip(self.rows, self.texts)
                          if (wanted is None or d.get("code") in wanted)
                          and all(w in text for w in words)]
                if len(self.searches) >= 32:
                    self.searches.clear()
                self.searches[(words, wanted)] = chosen
        start, stop = _window(offset, limit)
        return Page([build(d) for d in chosen[start:stop]], len(chosen), start, limit)
