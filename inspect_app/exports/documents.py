"""The content of the print-ready documents (DESIGN §9, DOMAIN §2.2 and §5): the minutes
(biên bản kiểm tra / tự kiểm tra) and the remediation plan with its 11-column appendix.

Official documents are always in Vietnamese, whatever the interface language, so the
text here is literal Vietnamese. :func:`minutes_content` and :func:`plan_content` turn
plain records (:class:`Sources`) into plain dicts for the templates; they need no
request and read no store (the web layer gathers the records).
"""
from __future__ import annotations

import copy
import datetime as _dt
from dataclasses import dataclass, field, replace
from typing import Any

from ..domain import criteria
from ..domain.assessment import scored_answers
from ..domain.checklist import Checklist
from ..domain.dates import local_date
from ..domain.models import (
    ITEM_CLOSED_STATUSES,
    Inspection,
    RemediationItem,
    Unit,
    User,
)
from ..domain.periods import PeriodError, parse_period
from ..domain.province import superior_of
from ..domain.remediation import default_finding, is_withdrawn
from ..domain.units import name_on
from ..i18n import formatting
from ..i18n.words import value_words, words
from ..services import clock
from ..services import inspections as service
from . import qr

TEAM_ROLES_VI = {"lead": "Trưởng đoàn", "member": "Thành viên", "secretary": "Thư ký"}
SELF_CHECK_ROLES_VI = {"lead": "Chủ trì", "member": "Thành viên", "secretary": "Thư ký"}
TEAM_ROLE_ORDER = {"lead": 0, "member": 1, "secretary": 2}
ITEM_STATUS_VI = {
    "open": "Chưa thực hiện",
    "in_progress": "Đang thực hiện",
    "done": "Đã hoàn thành, chờ xác nhận",
    "verified": "Đã hoàn thành, đã được xác nhận",
    "cannot_do": "Không thực hiện được",
    "no_action": "Không cần khắc phục",
}
BLANK = "……"  # a gap the signer fills in by hand


# ---------------------------------------------------------------- small formatting helpers

def pts(value: Any) -> str:
    """Points the Vietnamese way (1,5 · 61.475); empty for None."""
    return formatting.number(value, "vi")


def pct(value: Any) -> str:
    """A percent the Vietnamese way (88,95%)."""
    return formatting.percent(value, "vi")


def short_date(value: Any) -> str:
    """dd/mm/yyyy, or a blank to fill in when there is no date."""
    return formatting.date(value, "vi") or BLANK


def province_authority(province: str) -> str:
    """The line above the inspecting body: "UBND TỈNH BẮC KẠN" (empty without a province)."""
    return superior_of(province)


COMMITTEE_PREFIXES = ("ủy ban nhân dân ", "uỷ ban nhân dân ", "ubnd ")
UNIT_TYPE_WORDS = ("xã ", "phường ", "thị trấn ", "đặc khu ")


def bare_unit_name(unit_name: str) -> str:
    """The unit's name without a leading "UBND"/"Ủy ban nhân dân": "Xã Nông Thượng"."""
    name = (unit_name or "").strip()
    for prefix in COMMITTEE_PREFIXES:
        if name.casefold().startswith(prefix):
            return name[len(prefix):].strip()
    return name


def in_sentence(unit_name: str) -> str:
    """A unit name inside a sentence: "Xã Nông Thượng" → "xã Nông Thượng", its whole type
    word in small letters ("Thị Trấn Chợ Rã" → "thị trấn Chợ Rã"), proper names kept; a
    name written all in capitals ("XÃ NÔNG THƯỢNG") is kept as it is, never "xÃ NÔNG
    THƯỢNG"."""
    name = bare_unit_name(unit_name)
    if name.isupper():
        return name
    for word in UNIT_TYPE_WORDS:
        if name.casefold().startswith(word):
            return word + name[len(word):]
    return name


def place_name(place: str) -> str:
    """The place in the date line, as NĐ 30 writes it: "Nông Thượng", not "Xã Nông Thượng".

    Numbered wards keep their type word ("Phường 3"), as the decree's examples do.
    """
    name = bare_unit_name(place)
    for word in UNIT_TYPE_WORDS:
        if name.casefold().startswith(word):
            rest = name[len(word):].strip()
            return name if not rest or rest[:1].isdigit() else rest
    return name


def unit_issuer(unit_name: str) -> tuple[str, str]:
    """The two header lines of a document the unit issues: ("ỦY BAN NHÂN DÂN", "XÃ NÔNG THƯỢNG")."""
    return "ỦY BAN NHÂN DÂN", bare_unit_name(unit_name).upper()


def committee(unit_name: str) -> str:
    """The issuing committee in running text: "Ủy ban nhân dân xã Nông Thượng"."""
    return f"Ủy ban nhân dân {in_sentence(unit_name)}"


def period_text(code: str) -> str:
    """The period inside a sentence: "năm 2025", "quý I năm 2025"."""
    try:
        label = parse_period(code).label("vi")
    except PeriodError:
        return code
    return label[:1].lower() + label[1:]


# ---------------------------------------------------------------- what a document is built from

@dataclass
class Sources:
    """Everything a document of one inspection is built from (no request needed)."""

    inspection: Inspection
    checklist: Checklist
    card: dict[str, Any]
    unit: Unit | None
    items: list[RemediationItem]
    today: _dt.date
    tz: str = clock.DEFAULT_TZ
    superior_body: str = ""  # the line above the inspecting body ("UBND TỈNH …")
    inspecting_body: str = "Sở Nội vụ"
    # the unit's representatives: [{"name", "position"}] (services.inspections.representatives)
    representatives: list[dict[str, str]] = field(default_factory=list)
    users: dict[str, User] = field(default_factory=dict)
    self_card: dict[str, Any] | None = None
    preview: bool = False  # items are a preview of what finalizing would create

    @property
    def unit_name(self) -> str:
        """The unit's name on the document's date (:attr:`date`): minutes finalized before
        a renaming keep the old name (docs/units.md)."""
        return name_on(self.unit, self.date.isoformat()) if self.unit else self.inspection.unit

    @property
    def is_self_check(self) -> bool:
        return self.inspection.kind == "self_check"

    @property
    def answers(self) -> Any:
        """The answers ``card`` is scored from (a final assessment: its final round's)."""
        i = self.inspection
        return scored_answers(i.kind, i.stage, i.answers, i.rounds)

    @property
    def date(self) -> _dt.date:
        """The document's date: the day it was finalized (local time), else today."""
        return local_date(self.inspection.finalized_at, self.tz) or self.today

    @property
    def place(self) -> str:
        return place_name(self.inspection.place or self.unit_name)


def preview_items(inspection: Inspection, today: _dt.date) -> list[RemediationItem]:
    """The plan finalizing today would make, from the one computation the confirmation
    and finalize use (``services.inspections.closing``): the new items, and after a
    reopen the items of a corrected criterion withdrawn (left out) or restored."""
    plan = service.closing(inspection, allow_unanswered=False, day=today,
                           at=clock.now_iso(), by="")
    preview = replace(inspection, items=copy.deepcopy(inspection.items))
    plan.apply_items(preview, at=clock.now_iso(), by="")
    return preview.items


def _lines(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {line["id"]: line for line in card.get("criteria", [])}


# ---------------------------------------------------------------- shared pieces

def team_rows(src: Sources) -> list[dict[str, str]]:
    """The team (or the self-check's people): name, position, role; the lead first."""
    labels = SELF_CHECK_ROLES_VI if src.is_self_check else TEAM_ROLES_VI
    rows = []
    for member in sorted(src.inspection.team, key=lambda m: TEAM_ROLE_ORDER.get(m.role, 1)):
        user = src.users.get(member.username)
        rows.append({
            "name": member.name or (user.full_name if user else "") or member.username,
            "position": member.position or (user.position if user else ""),
            "role": labels.get(member.role, "Thành viên"),
            "role_code": member.role,
        })
    return rows


def signer(src: Sources, role: str) -> str:
    """The name printed under a team signature block (empty when nobody has that role)."""
    return next((row["name"] for row in team_rows(src) if row["role_code"] == role), "")


def header(src: Sources, *, top: str, main: str, number: str,
           date_text: str | None = None) -> dict[str, str]:
    """The national-motto header of NĐ 30/2020: issuer on the left, motto and date on the right."""
    return {"top": top, "main": main, "number": number, "place": src.place,
            "date": date_text if date_text is not None else formatting.long_date_vi(src.date)}


def qr_block(url: str, caption: str) -> dict[str, str]:
    return {"svg": qr.svg(url, label=caption), "url": url, "caption": caption}


def _criterion_label(src: Sources, criterion_id: str | None) -> str:
    if not criterion_id:
        return ""
    criterion = src.checklist.criterion(criterion_id)
    return f"{criterion_id}: {criterion.text}" if criterion else criterion_id


def shortcomings(src: Sources) -> list[dict[str, Any]]:
    """Every shortcoming in checklist order, then the free findings (numbered by the template).

    A criterion is a shortcoming when it is partial or failed, or when the plan holds an
    item for it (e.g. an unanswered criterion finalized with allow_unanswered); an item
    withdrawn because its criterion was corrected is none. ``items``: all of its items (a
    finding, or each action line of a self-check); ``item``: the one whose finding is
    printed. The finding text is that item's, else the inspector's note, else a default.
    """
    lines = _lines(src.card)
    items_of: dict[str, list[RemediationItem]] = {}
    for i in src.items:
        if i.criterion and not is_withdrawn(i):
            items_of.setdefault(i.criterion, []).append(i)
    out = []
    for criterion in src.checklist.criteria:
        line = lines.get(criterion.id) or {}
        status = line.get("status")
        items = items_of.get(criterion.id, [])
        if status not in ("partial", "fail") and not items:
            continue
        item = next((i for i in items if i.source != "self_check_action"),
                    items[0] if items else None)
        answer = src.answers.get(criterion.id)
        finding = ((item.finding if item else "") or (answer.note if answer else "")
                   or default_finding(criterion, status or "fail", None, formatting.number))
        # a penalty is points taken off (−0,5), never "0,5 of 5" as if they were earned
        points = (_points_text(criterion, line) if criterion.adjustment
                  else pts(line.get("points")))
        top = "" if criterion.adjustment else pts(line.get("max"))
        out.append({"criterion": criterion.id, "criterion_text": criterion.text,
                    "finding": finding, "points": points,
                    "answer": value_words(criterion, answer, line, "vi") or "",
                    "max": top, "status": status, "item": item,
                    # "(0,5/1 điểm)", a penalty "(−0,5 điểm)": the print view and the PDF say one
                    "score": (f"({points or '0'}/{top} điểm)" if top
                              else f"({points} điểm)" if points else ""),
                    "items": items, "cause": item.cause if item else "",
                    "no_action": bool(item and item.status == "no_action"),
                    "reason": item.reason if item else ""})
    for item in src.items:
        if not item.criterion:
            out.append({"criterion": None, "criterion_text": "", "finding": item.finding,
                        "points": "", "max": "", "score": "", "status": None, "item": item,
                        "items": [item], "answer": "", "cause": item.cause,
                        "no_action": item.status == "no_action", "reason": item.reason})
    return out


def actions(src: Sources) -> list[dict[str, str]]:
    """The plan's actions (kiến nghị): every item that needs one, in shortcoming order
    (each action line of a self-check is one)."""
    out = []
    for row in shortcomings(src):
        for item in row["items"]:
            if item.status == "no_action":
                continue
            action = item.action or f"Khắc phục tồn tại: {item.finding}"
            # The template follows the action with "(tiêu chí 1.2). Chủ trì: …": no double stop.
            action = action.strip().rstrip(".;").rstrip()
            out.append({"criterion": item.criterion, "action": action, "owner": item.owner,
                        "cooperating": item.cooperating, "due": short_date(item.due),
                        "output": item.output})
    return out


def latest_due(src: Sources) -> str:
    dues = sorted(i.due for i in src.items if i.due and i.status != "no_action")
    return short_date(dues[-1]) if dues else BLANK


# ---------------------------------------------------------------- minutes

def results(src: Sources) -> dict[str, Any]:
    """Section totals and per-criterion lines (with the unit's self-score where one exists)."""
    card = src.card
    lines = _lines(card)
    self_lines = _lines(src.self_card) if src.self_card else {}
    sections = {s["id"]: s for s in card.get("sections", [])}
    summary, detail = [], []
    number = 0
    for section in src.checklist.sections:
        scored = [c for c in section.criteria if c.scored]
        figures = sections.get(section.id, {})
        rows = []
        for criterion in section.criteria:
            if criterion.points is None:  # recorded facts, no points: what was recorded
                answer = src.answers.get(criterion.id)
                said = answer is not None and (answer.inputs or answer.note
                                               or answer.value is not None)
                recorded = words(criterion, answer, None, "vi") if said else ""
                if recorded:
                    rows.append({"id": criterion.id, "text": f"{criterion.text}: {recorded}",
                                 "max": "", "points": "", "self": "", "status": "info"})
                continue
            line = lines.get(criterion.id, {})
            rows.append({"id": criterion.id, "text": criterion.text,
                         "max": _max_text(criterion),
                         "points": _points_text(criterion, line),
                         "self": _points_text(criterion, self_lines[criterion.id])
                         if criterion.id in self_lines else "",
                         "status": line.get("status")})
        if scored:
            number += 1
            summary.append({"number": formatting.roman(number), "title": section.title,
                            "max": pts(figures.get("max")), "points": pts(figures.get("points")),
                            "percent": pct(figures.get("percent"))})
        if rows:
            detail.append({"number": formatting.roman(number) if scored else "",
                           "title": section.title, "rows": rows})
    return {
        "summary": summary, "detail": detail, "has_self": bool(self_lines),
        "total": pts(card.get("total")), "max": pts(card.get("max")),
        "percent": pct(card.get("percent")), "band": card.get("band") or "",
        "bonus": pts(card.get("bonus")) if card.get("bonus") else "",
        "penalty": pts(card.get("penalty")) if card.get("penalty") else "",
    }


def _max_text(criterion) -> str:
    return criteria.get(criterion.type).sign + pts(criterion.points)


def _points_text(criterion, line: dict[str, Any]) -> str:
    status = line.get("status")
    if status == "na":
        return "Không áp dụng"
    if criterion.adjustment:
        if status != "adjustment" or not line.get("points"):
            return "0"
        return criteria.get(criterion.type).sign + pts(line.get("points"))
    if status in (None, "unanswered"):
        return "Chưa chấm"
    return pts(line.get("points"))


def strengths(src: Sources) -> list[dict[str, Any]]:
    """Per section: how many scored criteria were fully met, and which."""
    lines = _lines(src.card)
    out = []
    for section in src.checklist.sections:
        scored = [c for c in section.criteria if c.scored
                  and lines.get(c.id, {}).get("status") != "na"]
        met = [c for c in scored if lines.get(c.id, {}).get("status") == "pass"]
        if met:
            out.append({"title": section.title, "met": len(met), "of": len(scored),
                        "texts": [c.text for c in met]})
    return out


def photo_rows(src: Sources, url_for_photo) -> list[dict[str, str]]:
    """Evidence photos of criteria, in checklist order, each with its caption; a
    criterion's photos in the order its answer lists them (the order taken, as its card
    shows them: several sent in one second have the same time)."""
    order = {c.id: n for n, c in enumerate(src.checklist.criteria)}
    refs = [p for p in src.inspection.photos.values() if p.criterion in order]

    def taken(photo) -> tuple:
        answer = src.inspection.answers.get(photo.criterion)
        listed = list(getattr(answer, "photos", None) or ())
        return (order[photo.criterion], listed.index(photo.id) if photo.id in listed
                else len(listed), photo.at)

    refs.sort(key=taken)
    return [{"src": url_for_photo(p.id), "caption": _criterion_label(src, p.criterion),
             "criterion": p.criterion} for p in refs]


def minutes_content(src: Sources, *, record_url: str, url_for_photo) -> dict[str, Any]:
    """Everything the minutes template prints."""
    if src.is_self_check:
        top, main = unit_issuer(src.unit_name)
        number = src.inspection.number or "…/BB-UBND"
    else:
        top, main = src.superior_body.upper(), src.inspecting_body.upper()
        number = src.inspection.number or "…/BB-…"
    return {
        "header": header(src, top=top, main=main, number=number),
        "title": "BIÊN BẢN TỰ KIỂM TRA" if src.is_self_check else "BIÊN BẢN KIỂM TRA",
        "subject": f"Công tác cải cách hành chính {period_text(src.inspection.period)} "
                   f"tại {in_sentence(src.unit_name)}",
        "unit_name": src.unit_name,
        "unit_text": in_sentence(src.unit_name),
        "committee": committee(src.unit_name),
        "inspecting_body": src.inspecting_body,
        "period": period_text(src.inspection.period),
        "long_date": formatting.long_date_vi(src.date),
        "checklist_title": src.checklist.title,
        "checklist_version": src.checklist.version,
        "team": team_rows(src),
        "representatives": [dict(p) for p in src.representatives],
        "results": results(src),
        "strengths": strengths(src),
        "shortcomings": shortcomings(src),
        "recommendations": actions(src),
        "report_by": latest_due(src),
        "lead": signer(src, "lead"),
        "secretary": signer(src, "secretary"),
        "photos": photo_rows(src, url_for_photo),
        "qr": qr_block(record_url, "Quét mã để xem bản điện tử của biên bản"),
        "draft": src.inspection.status != "finalized",
        "preview_items": src.preview,
        "is_self_check": src.is_self_check,
    }


# ---------------------------------------------------------------- plan

def appendix_rows(src: Sources) -> list[dict[str, str]]:
    """The 11 columns of the plan's appendix (DOMAIN §5), one row per item."""
    rows = []
    pairs = [(row, item) for row in shortcomings(src) for item in row["items"]]
    for row, item in pairs:
        rows.append({
            "criterion": item.criterion or "",
            "finding": item.finding or row["finding"],
            "cause": item.cause,
            "action": item.action,
            "owner": item.owner,
            "cooperating": item.cooperating,
            "due": formatting.date(item.due, "vi"),
            "output": item.output,
            "progress": _progress_text(item, src.tz),
            "note": _note_text(item, src.today),
        })
    return rows


def _progress_text(item: RemediationItem, tz: str) -> str:
    text = ITEM_STATUS_VI.get(item.status, item.status)
    if item.progress:
        last = item.progress[-1]
        when = formatting.date(last.at, "vi", tz)  # the day it was in the province
        if last.note:
            text += f" ({when}: {last.note})" if when else f" ({last.note})"
    return text


def _note_text(item: RemediationItem, today: _dt.date) -> str:
    parts = []
    if item.reason:
        parts.append(item.reason)
    if item.due and item.status not in ITEM_CLOSED_STATUSES and item.due < today.isoformat():
        parts.append("Quá hạn")
    return "; ".join(parts)


def plan_content(src: Sources, *, record_url: str) -> dict[str, Any]:
    """Everything the remediation-plan template prints."""
    top, main = unit_issuer(src.unit_name)
    minutes_ref = "Biên bản kiểm tra" if not src.is_self_check else "Biên bản tự kiểm tra"
    if src.inspection.number:
        minutes_ref += f" số {src.inspection.number}"
    minutes_ref += f" {formatting.long_date_vi(src.date)}"
    if not src.is_self_check:
        minutes_ref += f" của Đoàn kiểm tra công tác cải cách hành chính ({src.inspecting_body})"
    rows = shortcomings(src)
    return {
        # The plan is signed and numbered later by the commune: day and month stay blank.
        "header": header(src, top=top, main=main, number="…/KH-UBND",
                         date_text=f"ngày {BLANK} tháng {BLANK} năm {src.today.year}"),
        "unit_name": src.unit_name,
        "unit_text": in_sentence(src.unit_name),
        "committee": committee(src.unit_name),
        "inspecting_body": src.inspecting_body,
        "period": period_text(src.inspection.period),
        "inspection_date": formatting.long_date_vi(src.date),
        "minutes_ref": minutes_ref,
        "shortcomings": rows,
        "causes": [r for r in rows if r["cause"]],
        "actions": actions(src),
        "report_by": latest_due(src),
        "appendix": appendix_rows(src),
        "status_date": formatting.date(src.today, "vi"),
        "qr": qr_block(record_url, "Quét mã để theo dõi tiến độ thực hiện kế hoạch"),
        "draft": src.inspection.status != "finalized",
        "preview_items": src.preview,
        "is_self_check": src.is_self_check,
    }


# ---------------------------------------------------------------- appraisal result

STAGE_VI = {"self": "Đơn vị tự chấm", "appraisal1": "Thẩm định lần 1",
            "explanation": "Đơn vị giải trình", "appraisal2": "Thẩm định lần 2",
            "final": "Kết quả chính thức"}


def _gap_text(gap: Any) -> str:
    """Self − appraisal: "+1,5" where the unit rated itself higher, "0", "−1"."""
    if gap is None:
        return ""
    if gap > 0:
        return "+" + pts(gap)
    if gap < 0:
        return "−" + pts(-gap)
    return "0"


def appraisal_content(src: Sources, *, cards: dict[str, dict[str, Any] | None],
                      asked: list[str], record_url: str) -> dict[str, Any]:
    """Everything the appraisal-result template (*kết quả thẩm định*) prints for one
    unit's assessment: ``cards`` are the self, round and final cards the reader may see
    (``services.assessments.scores``), ``asked`` the criteria round 1 asked to explain
    (empty where the reader may not see round 1). Per criterion the three scores, the
    final points and the gap, then each request to explain with the appraisers' comment,
    the unit's explanation and what round 2 made of it."""
    from ..domain.assessment import appraisal_lines

    inspection = src.inspection
    texts = {cid: e.text for cid, e in inspection.explanations.items()}
    lines = appraisal_lines(src.checklist, cards, set(asked), texts)
    by_id = {line.criterion: line for line in lines}
    card_lines = {name: _lines(card) if card else {} for name, card in cards.items()}
    has_round2 = bool(cards.get("appraisal2"))

    def shown(name: str, criterion) -> str:
        if not cards.get(name):
            return ""
        return _points_text(criterion, card_lines[name].get(criterion.id, {}))

    detail = []
    number = 0
    for section in src.checklist.sections:
        rows = []
        for criterion in section.criteria:
            line = by_id.get(criterion.id)
            if line is None:
                continue
            rows.append({"id": criterion.id, "text": criterion.text,
                         "max": _max_text(criterion), "self": shown("self", criterion),
                         "round1": shown("appraisal1", criterion),
                         "round2": shown("appraisal2", criterion),
                         "final": shown("final", criterion), "gap": _gap_text(line.gap),
                         "overrated": line.overrated, "asked": line.asked})
        scored = any(c.scored for c in section.criteria)
        if scored:
            number += 1
        if rows:  # bonus and penalty lines: a section without a number, as in the minutes
            title = section.title
            if section.survey:  # imported per unit: neither self-scored nor appraised
                title += " (chấm từ kết quả điều tra xã hội học)"
            detail.append({"number": formatting.roman(number) if scored else "",
                           "title": title, "rows": rows})

    def totals(name: str) -> dict[str, str] | None:
        card = cards.get(name)
        if not card:
            return None
        return {"total": pts(card.get("total")), "max": pts(card.get("max")),
                "percent": pct(card.get("percent")), "band": card.get("band") or ""}

    round1 = inspection.rounds.get("appraisal1", {}) if cards.get("appraisal1") else {}
    requests = []
    for cid in asked:
        criterion = src.checklist.criterion(cid)
        if criterion is None:
            continue
        explanation = inspection.explanations.get(cid)
        line = by_id.get(cid)
        comment = round1.get(cid).note if round1.get(cid) else ""
        requests.append({
            "id": cid, "text": criterion.text, "comment": comment,
            "explanation": explanation.text if explanation else "",
            "photos": len(explanation.photos) if explanation else 0,
            "round1": shown("appraisal1", criterion),
            "after": shown("appraisal2", criterion) if has_round2 else "",
            "changed": bool(line and has_round2 and line.round1 != line.round2)})
    issuer_top, issuer = src.superior_body.upper(), src.inspecting_body.upper()
    final = totals("final")
    return {
        "header": header(src, top=issuer_top, main=issuer,
                         number=inspection.number or "…/KQ-…"),
        "title": "KẾT QUẢ THẨM ĐỊNH",
        "subject": f"Chỉ số cải cách hành chính {period_text(inspection.period)} "
                   f"của {in_sentence(src.unit_name)}",
        "unit_name": src.unit_name,
        "unit_text": in_sentence(src.unit_name),
        "committee": committee(src.unit_name),
        "inspecting_body": src.inspecting_body,
        "period": period_text(inspection.period),
        "checklist_title": src.checklist.title,
        "checklist_version": src.checklist.version,
        "stage": STAGE_VI.get(inspection.stage or "self", ""),
        "scores": [(label, figures) for label, figures in (
            ("Đơn vị tự chấm", totals("self")), ("Thẩm định lần 1", totals("appraisal1")),
            ("Thẩm định lần 2", totals("appraisal2")), ("Kết quả chính thức", final))
            if figures is not None],
        "final": final,
        "detail": detail,
        "has_round2": has_round2,
        "overrated": [line.criterion for line in lines if line.overrated],
        "requests": requests,
        "lead": signer(src, "lead"),
        "qr": qr_block(record_url, "Quét mã để xem bản điện tử của kết quả thẩm định"),
        "draft": inspection.status != "finalized",
        "preview_items": False,
    }


# ---------------------------------------------------------------- views
