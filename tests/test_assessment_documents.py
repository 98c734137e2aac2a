"""The printed minutes and plan of a PAR assessment read what the province scored: the final
round once final, the round in progress while appraised (never shown to the unit), with the
unit's self-score beside."""
from __future__ import annotations

import html as entities
import io
import re

from pypdf import PdfReader

from .support import login
from .test_appraisal_result import world  # noqa: F401  (fixture: A final, B in round 1)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", entities.unescape(re.sub(r"<[^>]+>", " ", html)))


def pdf_text(data: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages))


def shortcoming_of(text: str, cid: str) -> str:
    part = text.split("Tồn tại, hạn chế", 1)[1]
    return part.split(f"Tiêu chí {cid} ", 1)[1][:160]


def test_final_assessment_minutes_print_the_final_rounds_answer_not_the_self_score(world, client):
    """The province finishes A's assessment: round 1 scored 3.2 "Không" (not posted,
    0/1) and lowered 5.4 to 1,5 of 2; round 2 kept both; the final card says 0 and 1,5.
    An appraiser prints the minutes (and downloads the PDF) and expects each shortcoming
    to quote the final result. Instead the line reads "Tiêu chí 3.2 (0/1 điểm): Chưa
    niêm yết (kết quả: Có)" and "Tiêu chí 5.4 (1,5/2 điểm): … (kết quả: 2)": the value
    is the unit's self-score (exports/documents.py: shortcomings() takes the answer from
    ``inspection.answers``, the self-score, not from the final round)."""
    login(client, "admin")
    aid = world["ids"]["A"]
    page = text_of(client.get(f"/inspections/{aid}/minutes").get_data(as_text=True))
    pdf = pdf_text(client.get(f"/inspections/{aid}/minutes.pdf").data)
    for text in (page, pdf):
        line32, line54 = shortcoming_of(text, "3.2"), shortcoming_of(text, "5.4")
        assert "(0/1 điểm)" in line32 and "(1,5/2 điểm)" in line54  # the final points
        assert "(kết quả: Có)" not in line32, line32
        assert "(kết quả: 2)" not in line54, line54


def test_draft_assessment_minutes_follow_the_appraisal_round_in_progress(world, client):
    """B's assessment is in appraisal round 1; the appraiser lowered 5.4 to 1 point of 2
    (round 1 card: 99/100). The lead prints the draft minutes and plan, whose banner says
    "tạm tính theo kết quả chấm hiện tại", expecting 5.4 at 1 under "Điểm của Đoàn" and
    listed among the shortcomings. Instead the minutes print the unit's self-score:
    5.4 = 2, "Tổng cộng 100 100", "Không có tồn tại, hạn chế", and the plan has no task
    (web/documents.py: gather() uses ``card_dict`` and ``preview_items`` of the record's
    own answers, i.e. the self-score, for an assessment that is under appraisal)."""
    login(client, "lead")
    bid = world["ids"]["B"]
    minutes = text_of(client.get(f"/inspections/{bid}/minutes").get_data(as_text=True))
    assert "DỰ THẢO" in minutes
    row = minutes.split("5.4 Chấp hành kỷ luật, kỷ cương hành chính, văn hóa công sở", 1)[1]
    assert row.split()[:3] == ["2", "2", "1"], row[:40]  # max 2, self-score 2, the round's 1
    assert "Tổng cộng 100 99" in minutes
    assert "Tiêu chí 5.4" in minutes.split("Tồn tại, hạn chế", 1)[1]
    plan = text_of(client.get(f"/inspections/{bid}/plan").get_data(as_text=True))
    assert "Tiêu chí 5.4" in plan


def test_final_assessment_minutes_show_the_units_self_score_beside_the_appraisal(world, client):
    """The minutes list, per criterion, the commune's self-score beside the team's score
    (DOMAIN §2.2 point 4; an inspection's minutes get an "Điểm tự chấm" column from the
    unit's self-check). An assessment carries the self-score in the record itself (3.2:
    self 1, final 0), yet its printed minutes have no "Điểm tự chấm" column at all, so
    the signed paper hides what the unit claimed (web/documents.py: _self_check_card()
    returns None for every kind but "inspection", and the assessment's frozen self card
    ``inspection.cards["self"]`` is never used)."""
    login(client, "admin")
    aid = world["ids"]["A"]
    minutes = text_of(client.get(f"/inspections/{aid}/minutes").get_data(as_text=True))
    assert "Điểm tự chấm" in minutes
    row = minutes.split("3.2 Cập nhật, niêm yết kịp thời thủ tục hành chính mới, sửa đổi, "
                        "bổ sung", 1)[1]
    assert row.split()[:3] == ["1", "1", "0"], row[:40]  # max, self, final
