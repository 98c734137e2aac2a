"""A demo province to look at: communes from the seed articles, users of every role,
and inspections filled with the figures those articles report.

Answers are generated from the shipped checklists (so the demo follows any change
to them), then the criteria the articles give figures for are set to those figures.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import logging
import random
import uuid
from typing import Any

from ..domain.access import Scope
from ..domain.checklist import Checklist, Criterion
from ..domain.messages import N_
from ..domain.scoring import answer_problems
from ..storage import Store
from ..storage.checklist_files import ChecklistLibrary
from . import Conflict, accounts, clock, commands, remediation
from . import inspections as service
from . import units as unit_service

log = logging.getLogger("inspect_app.services")

DEMO_PASSWORD = "demo-2025"
COMMUNES = [
    ("TN", "Xã Thiện Nghiệp"), ("KL", "Xã Kim Long"), ("TL", "Xã Tả Lủng"),
    ("NT", "Xã Nông Thượng"), ("TQ", "Xã Thới Quản"), ("DH", "Xã Định Hòa"),
    ("VHHB", "Xã Vĩnh Hòa Hưng Bắc"), ("DV", "Xã Đồng Văn"), ("PM", "Phường Phú Mỹ"),
    ("HB", "Xã Hòa Bình"),
]
INSPECTION_CHECKLIST = "cchc-xa"
WEEKLY_CHECKLIST = "tu-kiem-tra-mot-cua-tuan"


def ratio_inputs(criterion: Criterion, numerator: int, denominator: int) -> dict[str, int]:
    """Inputs that make the criterion's ratio exactly ``numerator / denominator``."""
    inputs = {i: 0 for i in criterion.required_inputs}
    shared = [i for i in criterion.numerator if i in criterion.denominator]
    num_only = [i for i in criterion.numerator if i not in criterion.denominator]
    den_only = [i for i in criterion.denominator if i not in criterion.numerator]
    if shared and den_only:
        inputs[shared[0]] = numerator
        inputs[den_only[0]] = denominator - numerator
    elif num_only and den_only:
        inputs[num_only[0]] = numerator
        inputs[den_only[0]] = denominator
    return inputs


def generated_answer(criterion: Criterion, rng: random.Random, quality: float) -> dict | None:
    """A plausible answer: full marks with probability ``quality``, else a shortfall."""
    good = rng.random() < quality
    if criterion.type == "yesno":
        return {"value": good}
    if criterion.type == "multi":  # every option applies, or some are missing
        chosen = [o.value for o in criterion.options if good or rng.random() < 0.5]
        return {"value": chosen}
    if criterion.type == "choice":
        ordered = sorted(criterion.options, key=lambda o: o.points, reverse=True)
        return {"value": (ordered[0] if good else rng.choice(ordered[1:] or ordered)).value}
    if criterion.type == "score":
        steps = int(criterion.points / criterion.step)
        return {"value": float(criterion.points if good else criterion.step * rng.randint(0, steps - 1))}
    if criterion.type == "ratio":
        denominator = rng.randint(12, 400)
        numerator = denominator if good else int(denominator * rng.uniform(0.6, 0.97))
        return {"inputs": ratio_inputs(criterion, numerator, denominator)}
    if criterion.type == "count":
        top = criterion.bands[0]
        if good:
            value = int(top.min) if top.min is not None else 0
        else:
            value = int(top.max) + rng.randint(1, 5) if top.max is not None else max(int(top.min) - 1, 0)
        return {"inputs": {i: (value if n == 0 else 0) for n, i in enumerate(criterion.count)}}
    return None


# Figures reported in the seed articles, by commune: {criterion: (numerator, denominator)}
# for ratios, or a ready answer.
SEED_FIGURES: dict[str, dict[str, Any]] = {
    "NT": {  # Nông Thượng 2022 (seed 003)
        "1.2": (16, 20), "3.4": (108, 109), "3.5": (351, 351), "7.7": (15, 15),
        "1.10": {"value": False, "note": "Chủ tịch UBND xã chưa phân công công chức chấm điểm CCHC"},
        "7.3": {"value": False, "note": "Phần QLVB khi giao việc chưa bấm tạo hồ sơ"},
        "5.4": {"value": 1.5, "note": "Cần thường xuyên quan tâm vệ sinh công sở sạch, đẹp"},
        "7.4": (38, 108),
    },
    "TN": {  # Thiện Nghiệp Q1/2023 (seed 000): 213 liên thông files, 98 late
        "1.1": {"note": "KH số 06/KH-UBND ngày 18/01/2023"},
    },
    "TL": {"3.5": (164, 164)},  # Tả Lủng 9 months 2023 (seed 002)
    "TQ": {"3.5": (54863, 54863), "3.6": (6062, 54863)},  # Gò Quao communes (seed 004)
}


def _answers(checklist: Checklist, code: str, rng: random.Random, quality: float,
             only_sections: int | None = None) -> dict[str, dict]:
    answers: dict[str, dict] = {}
    sections = checklist.sections[:only_sections] if only_sections else checklist.sections
    for section in sections:
        for criterion in section.criteria:
            answer = generated_answer(criterion, rng, quality)
            if answer is not None:
                answers[criterion.id] = answer
    for cid, figure in SEED_FIGURES.get(code, {}).items():
        criterion = checklist.criterion(cid)
        if criterion is None or cid not in answers:
            continue
        if isinstance(figure, tuple):
            answer = {"inputs": ratio_inputs(criterion, *figure)} if criterion.type == "ratio" else None
        else:
            answer = {**answers[cid], **figure}
        if answer is not None and not answer_problems(criterion, answer):
            answers[cid] = answer
    if code == "TN" and checklist.criterion("3.5") is not None:
        answers["3.5"] = {"inputs": _thien_nghiep_35(checklist.criterion("3.5"))}
    return answers


def _thien_nghiep_35(criterion: Criterion) -> dict[str, int]:
    """213 inter-connected files: 83 returned, 32 pending in time, 6 late by the commune,
    92 late by the city (seed 000) — 53,99% under the QĐ 766 convention."""
    known = {"dung_han": 83, "dang_trong_han": 32, "qua_han_xa": 6, "qua_han_cap_khac": 92}
    if all(k in criterion.required_inputs for k in known):
        return {i: known.get(i, 0) for i in criterion.required_inputs}
    return ratio_inputs(criterion, 115, 213)


def _fill(store: Store, scope: Scope, inspection_id: str, answers: dict[str, dict]) -> None:
    for cid, answer in answers.items():
        inspection = store.get_inspection(inspection_id)
        base = inspection.answers[cid].rev if cid in inspection.answers else 0
        service.save_answer(store, scope, inspection_id, commands.answer_op(
            cid, {"op_id": str(uuid.uuid4()), "base_rev": base, **answer}))


def _backdate(store: Store, inspection_id: str, day: _dt.date) -> None:
    """Make a demo record look as if it was done on ``day``."""
    stamp = _dt.datetime.combine(day, _dt.time(9, 30), _dt.UTC).isoformat()

    def change(inspection):
        inspection.created_at = stamp
        if inspection.finalized_at:
            inspection.finalized_at = stamp
    store.update_inspection(inspection_id, change)


@contextlib.contextmanager
def _quiet(logger: logging.Logger):
    """The use cases' lines (one per record started, finalized…) are noise while the demo
    builds its province: warnings still pass, the demo says once what it loaded."""
    level = logger.level
    logger.setLevel(max(logging.WARNING, logger.getEffectiveLevel()))
    try:
        yield
    finally:
        logger.setLevel(level)


def load(store: Store, library: ChecklistLibrary) -> list[tuple[str, str, str]]:
    """Load the demo into an empty store; returns the logins (username, password, role)
    to print. A store with units or users is refused before anything is written: the demo
    would overwrite real units and stop halfway on a taken username."""
    if store.list_users() or store.list_units():
        raise Conflict(N_("the store already has data: the demo loads only into an empty "
                          "store (nothing was changed)"))
    with _quiet(log):
        logins = _load(store, library)
    log.info("demo loaded: %d units, %d users", len(COMMUNES), len(logins))
    return logins


def _load(store: Store, library: ChecklistLibrary) -> list[tuple[str, str, str]]:
    rng = random.Random(2025)
    for code, name in COMMUNES:
        unit_service.add_unit(store, code, name)
    people = [
        ("admin", "admin", None, "Quản trị hệ thống", ""),
        ("thanhtra1", "inspector", None, "Nguyễn Ánh Xuân", "Trưởng phòng Cải cách hành chính, Sở Nội vụ"),
        ("thanhtra2", "inspector", None, "Trần Thị Mai", "Chuyên viên Sở Nội vụ"),
        ("lanhdao", "viewer", None, "Lê Văn Hùng", "Phó Giám đốc Sở Nội vụ"),
    ] + [(f"xa.{code.lower()}", "unit", code, f"Công chức {name}", "Công chức Văn phòng - Thống kê")
         for code, name in COMMUNES]
    users = {}
    for username, role, unit, full_name, position in people:
        users[username] = accounts.create_user(store, username, role, unit=unit,
                                               password=DEMO_PASSWORD, full_name=full_name,
                                               position=position)
    today = clock.today()
    ids: dict[str, str] = {}
    if library.get(INSPECTION_CHECKLIST) is not None:
        lead = service.scope_for(store, users["thanhtra1"])
        # TQ last year first: this year's inspection of TQ shows how that plan was carried out
        plan = [("TQ-1", 0.85, True, 400, "07/BB-SNV"), ("NT", 0.8, True, 75, "12/BB-SNV"),
                ("TN", 0.75, True, 40, "15/BB-SNV"), ("TL", 0.95, True, 20, "18/BB-SNV"),
                ("TQ", 0.9, False, 2, "")]
        for key, quality, final, days_ago, number in plan:
            code, _, years_back = key.partition("-")
            inspection = service.start(store, library, lead, commands.StartRequest(
                unit=code, checklist=INSPECTION_CHECKLIST,
                period=str(today.year - int(years_back or 0)), kind="inspection",
                team=["thanhtra2"], number=number, place=dict(COMMUNES)[code]))
            ids[key] = inspection.id
            checklist = service.checklist_of(inspection)
            _fill(store, lead, inspection.id,
                  _answers(checklist, code, rng, quality, None if final else 3))
            if final:
                service.finalize(store, lead, inspection.id,
                                 commands.finalize_op({"op_id": str(uuid.uuid4()), "allow_unanswered": True}),
                                 today=today - _dt.timedelta(days=days_ago))
            _backdate(store, inspection.id, today - _dt.timedelta(days=days_ago))
    if library.get(WEEKLY_CHECKLIST) is not None:
        for code in ("KL", "TN"):
            officer = service.scope_for(store, users[f"xa.{code.lower()}"])
            for weeks_ago, final in ((1, True), (0, False)):
                day = today - _dt.timedelta(weeks=weeks_ago)
                iso = day.isocalendar()
                inspection = service.start(store, library, officer, commands.StartRequest(
                    unit=code, checklist=WEEKLY_CHECKLIST, period=f"{iso.year}-W{iso.week:02d}",
                    kind="self_check"))
                checklist = service.checklist_of(inspection)
                answers = _answers(checklist, code, rng, 0.85, None if final else 2)
                if final and checklist.criterion("W16") is not None:
                    answers["W16"] = {"inputs": {
                        "viec": "Bổ sung phiếu xin lỗi cho 02 hồ sơ trễ hạn\n"
                                "Cập nhật niêm yết 03 TTHC mới công bố",
                        "nguoi_phu_trach": "Công chức Văn phòng - Thống kê",
                        "han": (day + _dt.timedelta(days=7)).isoformat()}}
                for criterion in checklist.criteria:
                    if criterion.evidence_required and criterion.id in answers:
                        answers[criterion.id].setdefault("note", "Đã kiểm tra trực tiếp tại Bộ phận một cửa")
                _fill(store, officer, inspection.id, answers)
                if final:
                    service.finalize(store, officer, inspection.id,
                                     commands.finalize_op({"op_id": str(uuid.uuid4()), "allow_unanswered": True}),
                                     today=day)
                _backdate(store, inspection.id, day)
    _remediation_progress(store, users, ids, today)
    if library.get(INSPECTION_CHECKLIST) is not None:
        _assessment_round(store, library, users, today)
    return [(username, DEMO_PASSWORD, role) for username, role, *_ in people]


# ---------------------------------------------------------------- a PAR-index assessment round

#: The demo's finished assessment round of last year (DESIGN §10): per commune the
#: quality of its self-score, round 1's changes ({criterion: (answer, ask to explain)}),
#: the requests it explains and round 2's changes. The other communes are not assessed.
ASSESSMENT_ROUND = {
    "TN": (0.9, {"1.6": ({"value": False, "note": "Chưa có kế hoạch tuyên truyền CCHC"}, True),
                 "3.2": ({"value": False, "note": "Chưa niêm yết đủ TTHC mới công bố"}, True),
                 "5.4": ({"value": 1.5, "note": "Trừ 0,5 điểm: còn 01 công chức chưa đạt"},
                         False)},
           {"1.6": "Đã ban hành KH số 06/KH-UBND ngày 18/01, gửi kèm bản chụp"},
           {"1.6": {"value": True, "note": "Đã giải trình hợp lệ"}}),
    "KL": (0.95, {"1.10": ({"value": False, "note": "Chưa phân công chấm điểm CCHC"}, False)},
           {}, {}),
    "TL": (0.85, {"4.2": ({"value": False, "note": "Thiếu quyết định kiện toàn"}, True)},
           {}, {}),
    "NT": (0.8, {}, {}, {}),
}


#: The demo round's checklist: the commune CCHC criteria plus a section scored from the
#: sociological survey (DOMAIN.md §1: index = appraised + survey points, converted to 100),
#: published in the app as an admin would (a version kept by the store).
ASSESSMENT_CHECKLIST = "chi-so-cchc-xa"
SURVEY_SECTION = {
    "id": "dieu_tra_xhh",
    "title": "Điều tra xã hội học về sự hài lòng của người dân, tổ chức",
    "survey": True,
    "description": "Điểm do tỉnh nhập từ kết quả điều tra xã hội học; đơn vị không tự chấm.",
    "criteria": [{
        "id": "XHH", "type": "score", "points": 10, "step": 0.01,
        "text": "Chỉ số hài lòng của người dân, tổ chức đối với sự phục vụ của UBND xã "
                "(kết quả điều tra xã hội học)"}],
}
#: The demo's survey points per commune (made up for the demo, out of 10).
SURVEY_FIGURES = {"TN": 8.64, "KL": 9.12, "TL": 7.95, "NT": 8.3}


def _assessment_checklist(library: ChecklistLibrary) -> str:
    """The id of the demo round's checklist: :data:`ASSESSMENT_CHECKLIST`, published from
    the commune checklist with :data:`SURVEY_SECTION` added (before the bonus and penalty
    lines) when it is not there yet; the commune checklist itself if that fails."""
    import copy

    from ..domain.checklist import ChecklistError, parse_checklist
    from ..storage.checklist_workbooks import checklist_yaml

    if library.get(ASSESSMENT_CHECKLIST) is not None:
        return ASSESSMENT_CHECKLIST
    base = library.get(INSPECTION_CHECKLIST)
    data = copy.deepcopy(dict(base.data))
    data.update(id=ASSESSMENT_CHECKLIST, cadence="yearly",
                title="Chỉ số cải cách hành chính cấp xã (có điều tra xã hội học)")
    sections = list(data["sections"])
    at = next((n for n, s in enumerate(sections)
               if all(c.get("type") in ("bonus", "penalty") for c in s["criteria"])),
              len(sections))
    if any(base.criterion(c["id"]) for c in SURVEY_SECTION["criteria"]):
        return INSPECTION_CHECKLIST
    sections.insert(at, copy.deepcopy(SURVEY_SECTION))
    data["sections"] = sections
    try:
        text = checklist_yaml(data)
        library.publish(parse_checklist(data, ASSESSMENT_CHECKLIST), text)
    except (ChecklistError, ValueError) as exc:
        log.warning("demo: the survey checklist was not published: %s", exc)
        return INSPECTION_CHECKLIST
    return ASSESSMENT_CHECKLIST


def _assessment_round(store: Store, library: ChecklistLibrary, users: dict,
                      today: _dt.date) -> None:
    """Last year's assessment of some communes, from the self-score to the final card."""
    from . import assessments

    rng = random.Random(2024)  # a generator of its own: the other demo figures stay as they are
    province = service.scope_for(store, users["admin"])
    lead = service.scope_for(store, users["thanhtra1"])
    period = str(today.year - 1)

    def op() -> str:
        return str(uuid.uuid4())

    checklist_id = _assessment_checklist(library)
    records = {code: service.start(store, library, lead, commands.StartRequest(
        unit=code, checklist=checklist_id, period=period, kind="assessment",
        team=["thanhtra2"])) for code in ASSESSMENT_ROUND}
    if checklist_id == ASSESSMENT_CHECKLIST:  # the survey's figures, one file for the round
        from . import survey

        lines = "".join(f"{code};{str(points).replace('.', ',')}\n"
                        for code, points in SURVEY_FIGURES.items() if code in records)
        survey.import_survey(store, province, checklist=checklist_id, period=period,
                             raw=f"Mã đơn vị;{SURVEY_SECTION['id']}\n{lines}".encode(),
                             source="dieu-tra-xhh.csv")
    for code, (quality, round1, explained, round2) in ASSESSMENT_ROUND.items():
        officer = service.scope_for(store, users[f"xa.{code.lower()}"])
        record = records[code]
        checklist = service.checklist_of(record)
        answers = {cid: a for cid, a in _answers(checklist, code, rng, quality).items()
                   if not checklist.criterion(cid).survey}
        for criterion in checklist.criteria:  # an assessment answers every line
            while criterion.id not in answers and criterion.points is not None \
                    and criterion.type not in ("bonus", "penalty") and not criterion.survey:
                answer = generated_answer(criterion, rng, 1.0)
                if answer is not None:
                    answers[criterion.id] = answer
        for cid, answer in answers.items():
            answer.setdefault("note", f"Tài liệu kiểm chứng kèm theo (tiêu chí {cid})")
        _fill(store, officer, record.id, answers)
        assessments.advance(store, officer, record.id, commands.AdvanceOp(op()))
        for cid, (answer, explain) in round1.items():
            if checklist.criterion(cid) is None:
                continue
            body = {"op_id": op(), "base_rev": 1, **answer}
            if explain:
                body["explain"] = True
            assessments.save_appraisal(store, lead, record.id, commands.appraisal_op(cid, body))
        assessments.advance(store, lead, record.id, commands.AdvanceOp(op()))
        if store.get_inspection(record.id).stage == "explanation":
            for cid, text in explained.items():
                assessments.save_explanation(store, officer, record.id, commands.ExplanationOp(
                    op_id=op(), criterion=cid, base_rev=0, text=text))
            assessments.advance(store, officer, record.id, commands.AdvanceOp(op()))
            for cid, answer in round2.items():
                assessments.save_appraisal(store, lead, record.id, commands.appraisal_op(
                    cid, {"op_id": op(), "base_rev": 1, **answer}))
            assessments.advance(store, province, record.id, commands.AdvanceOp(op()))


# ---------------------------------------------------------------- progress on the plans

def _item_of(store: Store, inspection_id: str, criterion: str | None):
    return next((i for i in store.get_inspection(inspection_id).items if i.criterion == criterion), None)


def _change(store: Store, scope: Scope, item, **change: Any):
    """One item change through the service (the item is read again for its revision)."""
    current = store.get_inspection(item.inspection).item(item.id)
    return remediation.update_item(store, scope, commands.item_change(item.id, {
        "op_id": str(uuid.uuid4()), "base_rev": current.rev, **change}))


def _backdate_item(store: Store, inspection_id: str, item_id: str, day: _dt.date) -> None:
    """Make an item's progress look as if it was reported on ``day`` (demo only)."""
    stamp = _dt.datetime.combine(day, _dt.time(8, 0), _dt.UTC).isoformat()

    def change(inspection):
        item = inspection.item(item_id)
        for entry in item.progress + item.history[1:]:
            entry.at = stamp
        item.done_at = stamp if item.done_at else None
        item.verified_at = stamp if item.verified_at else None
    store.update_inspection(inspection_id, change)


def _remediation_progress(store: Store, users: dict, ids: dict[str, str], today: _dt.date) -> None:
    """Realistic progress on the demo plans: Nông Thượng (seed 003) works on its plan —
    some items in progress, one done awaiting verification, one verified, the rest
    overdue; Thới Quản carried out most of last year's plan, some of it late."""
    officer = lambda code: service.scope_for(store, users[f"xa.{code.lower()}"])  # noqa: E731
    inspector = service.scope_for(store, users["thanhtra1"])
    if "NT" in ids:
        nt, unit = ids["NT"], officer("NT")
        remediation.add_item(store, inspector, nt, commands.new_item({
            "op_id": str(uuid.uuid4()),
            "finding": "Chưa thống kê số liệu đăng ký dịch vụ công quốc gia của cán bộ, công "
                       "chức, viên chức và Nhân dân trên địa bàn",
            "action": "Thống kê số tài khoản dịch vụ công quốc gia của CBCCVC và Nhân dân",
            "owner": "Công chức Văn phòng - Thống kê", "due": (today + _dt.timedelta(days=5)).isoformat(),
            "output": "Báo cáo thống kê"}))
        steps = [
            ("1.10", [{"status": "in_progress", "cause": "Chủ quan: chưa kịp kiện toàn sau sắp xếp",
                       "progress_note": "Văn phòng đã dự thảo quyết định phân công, trình Chủ tịch ký"}]),
            ("7.3", [{"status": "in_progress", "progress_note": "Đã hướng dẫn công chức thao tác tạo hồ sơ"},
                     {"status": "done", "progress_note": "Từ 01/10 mọi việc giao trên QLVB đều bấm tạo "
                                                         "hồ sơ; kiểm tra ngẫu nhiên 20 việc đều đạt",
                      "output": "Báo cáo kết quả kiểm tra"}]),
            ("5.4", [{"status": "done", "progress_note": "Ban hành lịch trực vệ sinh hằng tuần; "
                                                         "khu một cửa đã sắp xếp gọn gàng"}]),
            (None, [{"status": "in_progress", "progress_note": "Đã gửi mẫu thống kê đến 15 thôn"}]),
        ]
        for criterion, changes in steps:
            item = _item_of(store, nt, criterion)
            if item is None:
                continue
            for change in changes:
                _change(store, unit, item, **change)
        verified = _item_of(store, nt, "5.4")
        if verified is not None:
            current = store.get_inspection(nt).item(verified.id)
            remediation.review_item(store, inspector, commands.item_review(verified.id, {
                "op_id": str(uuid.uuid4()), "base_rev": current.rev, "decision": "verify",
                "comment": "Đã kiểm tra thực tế, đạt yêu cầu"}))
            _backdate_item(store, nt, verified.id, today - _dt.timedelta(days=50))
    if "TQ-1" in ids:
        previous, unit = ids["TQ-1"], officer("TQ")
        items = store.get_inspection(previous).items
        for n, item in enumerate(items):
            if n % 5 == 4:
                continue  # still open
            _change(store, unit, item, status="done", progress_note="Đã khắc phục, có văn bản kèm theo")
            if n % 3 == 0:
                current = store.get_inspection(previous).item(item.id)
                remediation.review_item(store, inspector, commands.item_review(item.id, {
                    "op_id": str(uuid.uuid4()), "base_rev": current.rev, "decision": "verify"}))
            due = _dt.date.fromisoformat(item.due) if item.due else today
            late = n % 4 == 1
            _backdate_item(store, previous, item.id, due + _dt.timedelta(days=9 if late else -3))
