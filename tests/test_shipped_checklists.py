"""The checklists shipped in checklists/: structure, and the worked examples of DOMAIN §6.

Every example is scored through the shipped file itself, so a change to a threshold,
an input id or the lateness convention of 3.5 shows up here.
"""
from __future__ import annotations

import copy
import json
import unicodedata
from decimal import Decimal
from pathlib import Path

import pytest

from inspect_app.domain.checklist import parse_checklist
from inspect_app.domain.scoring import AnswerError, score
from inspect_app.storage.checklist_files import load_file

ROOT = Path(__file__).resolve().parent.parent
CCHC_XA = ROOT / "checklists" / "cchc-xa.yaml"
WEEKLY = ROOT / "checklists" / "tu-kiem-tra-mot-cua-tuan.yaml"
SCHEMA = ROOT / "docs" / "checklist.schema.json"
SCHEMA_LINE = "# yaml-language-server: $schema=../docs/checklist.schema.json"

D = Decimal


@pytest.fixture(scope="module")
def cchc():
    return load_file(CCHC_XA)


@pytest.fixture(scope="module")
def weekly():
    return load_file(WEEKLY)


def line(checklist, criterion_id, answer):
    """The score-card line of one criterion answered alone."""
    return score(checklist, {criterion_id: answer}).line(criterion_id)


def assert_line(result, points, status, value):
    assert (result.points, result.status, result.value) == (
        None if points is None else D(str(points)), status,
        None if value is None else D(str(value))), result


# --------------------------------------------------------------------------- files


@pytest.mark.parametrize("path", [CCHC_XA, WEEKLY], ids=lambda p: p.name)
def test_file_loads_is_nfc_and_points_to_the_schema(path):
    checklist = load_file(path)
    text = path.read_text(encoding="utf-8")
    assert text == unicodedata.normalize("NFC", text)
    assert text.splitlines()[0] == SCHEMA_LINE
    assert checklist.version == "2025.1"
    assert [b.label for b in checklist.bands] == ["Tốt", "Khá", "Trung bình", "Yếu"]
    assert [b.min for b in checklist.bands] == [90, 80, 65, 0]


def test_cchc_xa_structure(cchc):
    assert (cchc.id, cchc.kind, cchc.version) == ("cchc-xa", "any", "2025.1")  # inspected, and self-scored by the commune
    assert [s.id for s in cchc.sections] == [
        "chi_dao", "the_che", "tthc", "bo_may", "cong_vu", "tai_chinh", "cqs", "tac_dong",
        "thuong_tru"]
    scored = [c for c in cchc.criteria if c.scored]
    assert len(scored) == 57
    assert cchc.max_points == 100
    per_section = [(len([c for c in s.criteria if c.scored]),
                    sum(c.points for c in s.criteria if c.scored)) for s in cchc.sections]
    assert per_section == [(10, 12), (4, 8), (16, 22), (4, 6), (5, 10), (4, 7), (9, 15),
                           (5, 20), (0, 0)]
    expected_ids = ([f"1.{i}" for i in range(1, 11)] + [f"2.{i}" for i in range(1, 5)]
                    + [f"3.{i}" for i in range(1, 17)] + [f"4.{i}" for i in range(1, 5)]
                    + [f"5.{i}" for i in range(1, 6)] + [f"6.{i}" for i in range(1, 5)]
                    + [f"7.{i}" for i in range(1, 10)] + [f"8.{i}" for i in range(1, 6)])
    assert [c.id for c in scored] == expected_ids
    extra = cchc.section("thuong_tru").criteria
    assert [(c.type, c.points) for c in extra] == [("bonus", 2), ("penalty", 5)]


def test_cchc_xa_types_of_key_criteria(cchc):
    c = cchc.criterion
    assert c("1.1").type == "choice"
    assert {o.value: o.points for o in c("1.1").options} == {
        "dung_han": 1, "tre_han": D("0.5"), "khong_ban_hanh": 0}
    assert c("2.1").type == "yesno" and c("2.1").na_allowed
    assert c("3.7").on_zero == "full" and c("3.12").on_zero == "full"
    assert c("3.8").type == "count" and c("3.8").count == ("tre_lien_thong_xa",)
    assert {x.type for x in (c("3.13"), c("5.4"), c("7.9"), c("8.5"))} == {"score"}
    three_five = c("3.5")
    assert set(three_five.numerator) == {"truoc_han", "dung_han", "dang_trong_han"}
    assert set(three_five.denominator) == {
        "truoc_han", "dung_han", "tre_han_xa", "tre_han_cap_khac", "dang_trong_han",
        "qua_han_xa", "qua_han_cap_khac"}
    # S-TIME for 5 points, exactly as DOMAIN §3
    assert [(b.min, b.points) for b in three_five.bands] == [
        (100, 5), (98, 4), (95, 3), (90, D("1.5"))]


def test_every_scored_criterion_has_help_evidence_and_remedy(cchc, weekly):
    for checklist in (cchc, weekly):
        for criterion in checklist.criteria:
            assert criterion.help, criterion.id
            if criterion.scored:
                assert criterion.remedy, criterion.id
                assert criterion.remedy_owner, criterion.id
                assert criterion.remedy_days, criterion.id
                assert criterion.evidence, criterion.id


def test_weekly_self_check_structure(weekly):
    assert (weekly.id, weekly.kind) == ("tu-kiem-tra-mot-cua-tuan", "self_check")
    ids = [c.id for c in weekly.criteria]
    for n in range(1, 17):
        assert f"W{n}" in ids
    c = weekly.criterion
    for item in ("W1", "W6", "W7", "W8"):
        assert c(item).evidence_required, item
    assert c("W3").type == "ratio"
    assert c("W3").numerator == ("truoc_han", "dung_han")
    assert c("W3").denominator == ("truoc_han", "dung_han", "tre_han")
    assert [(i.id, i.kind) for i in c("W16").inputs] == [
        ("viec", "text"), ("nguoi_phu_trach", "text"), ("han", "date")]
    assert c("W16").type == "info"
    assert any(i.kind == "text" for i in c("W5b").inputs)
    assert weekly.max_points == 14


def test_schema_accepts_the_shipped_files():
    jsonschema = pytest.importorskip("jsonschema")
    import yaml
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for path in (CCHC_XA, WEEKLY):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert not list(validator.iter_errors(data)), path.name
        broken = copy.deepcopy(data)
        broken["sections"][0]["criteria"][0]["id"] = 1.5
        assert list(validator.iter_errors(broken))


def test_schema_is_draft_2020_12_json():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


# --------------------------------------------------------------------------- DOMAIN §6


def test_go_quao_communes_on_time_rate_adds_early_and_on_time(cchc):
    # 48.801 "đúng hẹn" (88,95%) + 6.062 "trước hẹn" (11,05%) of 54.863: 100%, not 88,95%.
    result = line(cchc, "3.5", {"inputs": {
        "truoc_han": 6062, "dung_han": 48801, "tre_han_xa": 0, "tre_han_cap_khac": 0,
        "dang_trong_han": 0, "qua_han_xa": 0, "qua_han_cap_khac": 0}})
    assert_line(result, 5, "pass", 100)


def test_go_quao_naive_reading_would_score_zero(cchc):
    # The published 88,95% read as the on-time rate: <90% under S-TIME.
    result = line(cchc, "3.5", {"inputs": {
        "truoc_han": 0, "dung_han": 48801, "tre_han_xa": 6062, "tre_han_cap_khac": 0,
        "dang_trong_han": 0, "qua_han_xa": 0, "qua_han_cap_khac": 0}})
    assert_line(result, 0, "fail", "88.95")


def test_go_quao_communes_early_share_and_apology_slips(cchc):
    early = line(cchc, "3.6", {"inputs": {"truoc_han": 6062, "dung_han": 48801, "tre_han": 0}})
    assert_line(early, 0, "fail", "11.05")
    slips = line(cchc, "3.7", {"inputs": {"so_tre_han": 0, "so_phieu_xin_loi": 0}})
    assert_line(slips, 1, "pass", None)


def test_early_share_must_be_strictly_above_half(cchc):
    def early(truoc, dung):
        return line(cchc, "3.6", {"inputs": {"truoc_han": truoc, "dung_han": dung, "tre_han": 0}})
    assert_line(early(1, 1), 0, "fail", 50)
    assert_line(early(100001, 100000), 1, "pass", 50)  # 50,0002% shows as 50,00 but is > 50
    assert_line(early(5001, 4999), 1, "pass", "50.01")


def test_go_quao_district_pending_in_time_is_not_late(cchc):
    result = line(cchc, "3.5", {"inputs": {
        "truoc_han": 0, "dung_han": 6272, "tre_han_xa": 0, "tre_han_cap_khac": 0,
        "dang_trong_han": 340, "qua_han_xa": 0, "qua_han_cap_khac": 0}})
    assert_line(result, 5, "pass", 100)


THIEN_NGHIEP_LIEN_THONG = {
    # 213 received; 83 returned; 130 pending, of which 6 late due to the commune and 92 due
    # to the city: 130 - 98 = 32 still within the deadline.
    "truoc_han": 0, "dung_han": 83, "tre_han_xa": 0, "tre_han_cap_khac": 0,
    "dang_trong_han": 32, "qua_han_xa": 6, "qua_han_cap_khac": 92, "tiep_nhan": 213,
}


def test_thien_nghiep_inter_connected_files_under_the_766_convention(cchc):
    result = line(cchc, "3.5", {"inputs": THIEN_NGHIEP_LIEN_THONG})
    assert_line(result, 0, "fail", "53.99")  # (213 - 98) / 213


def test_thien_nghiep_counting_only_the_communes_own_lateness(cchc):
    data = copy.deepcopy(dict(cchc.data))
    criterion = next(c for s in data["sections"] for c in s["criteria"] if c["id"] == "3.5")
    criterion["numerator"] = list(criterion["numerator"]) + ["tre_han_cap_khac",
                                                             "qua_han_cap_khac"]
    variant = parse_checklist(data, "cchc-xa-chi-tinh-tre-do-xa.yaml")
    result = line(variant, "3.5", {"inputs": THIEN_NGHIEP_LIEN_THONG})
    assert_line(result, 3, "partial", "97.18")  # (213 - 6) / 213, S-TIME 95–<98%
    assert variant.hash != cchc.hash


def test_thien_nghiep_late_inter_connected_files_due_to_the_commune(cchc):
    result = line(cchc, "3.8", {"inputs": {"tre_lien_thong_xa": 6, "tre_lien_thong_cap_khac": 92}})
    assert_line(result, 0, "fail", 6)
    none_late = line(cchc, "3.8", {"inputs": {"tre_lien_thong_xa": 0}})
    assert_line(none_late, 1, "pass", 0)


def test_thien_nghiep_missing_split_is_unanswered_not_zero(cchc):
    # One-stop files: 336 received, 330 returned, 6 pending, lateness not reported.
    result = line(cchc, "3.5", {"inputs": {"tiep_nhan": 336}})
    assert_line(result, 0, "unanswered", None)


def test_thien_nghiep_propaganda_meets_target_and_plan_on_time(cchc):
    # 04 radio slots a month = 12 a quarter against a target of 4 a month.
    assert_line(line(cchc, "1.7", {"inputs": {"so_buoi": 12, "chi_tieu": 12}}), 1, "pass", 100)
    assert_line(line(cchc, "1.7", {"inputs": {"so_buoi": 6, "chi_tieu": 12}}),
                "0.5", "partial", 50)
    plan = line(cchc, "1.1", {"value": "dung_han", "note": "KH số 06/KH-UBND ngày 18/01/2023"})
    assert (plan.points, plan.status, plan.value) == (D(1), "pass", "dung_han")
    late = line(cchc, "1.1", {"value": "tre_han"})
    assert (late.points, late.status) == (D("0.5"), "partial")


def test_nong_thuong(cchc):
    assert_line(line(cchc, "1.2", {"inputs": {"planned": 20, "done": 16}}), 1, "partial", 80)
    assert_line(line(cchc, "3.4", {"inputs": {"tai_mot_cua": 108, "ngoai_mot_cua": 1}}),
                "0.5", "partial", "99.08")
    assert_line(line(cchc, "7.7", {"inputs": {"so_thon": 15, "co_to": 15}}), "1.5", "pass", 100)
    assert_line(line(cchc, "3.5", {"inputs": {
        "truoc_han": 0, "dung_han": 351, "tre_han_xa": 0, "tre_han_cap_khac": 0,
        "dang_trong_han": 0, "qua_han_xa": 0, "qua_han_cap_khac": 0}}), 5, "pass", 100)
    # 38 online files of 108 would be 35,19%: below the default 50% target.
    assert_line(line(cchc, "7.4", {"inputs": {"truc_tuyen": 38, "tong_ho_so": 108}}),
                0, "fail", "35.19")


def test_ta_lung(cchc):
    result = line(cchc, "3.5", {"inputs": {
        "truoc_han": 0, "dung_han": 164, "tre_han_xa": 0, "tre_han_cap_khac": 0,
        "dang_trong_han": 0, "qua_han_xa": 0, "qua_han_cap_khac": 0, "tiep_nhan": 164}})
    assert_line(result, 5, "pass", 100)
    assert_line(line(cchc, "3.7", {"inputs": {"so_tre_han": 0, "so_phieu_xin_loi": 0}}),
                1, "pass", None)


def test_self_inspection_plan_is_half_a_point_plus_the_completion_rate(cchc):
    """1.4 = 0,5 for the plan + 1,0 × done/planned, floored to 5% steps (see its help)."""
    for planned in range(1, 13):
        for done in range(planned + 1):
            result = line(cchc, "1.4", {"inputs": {"cuoc_ke_hoach": planned,
                                                   "cuoc_thuc_hien": done}})
            exact = D("0.5") + D(done) / D(planned)
            assert exact - D("0.05") < result.points <= exact, (planned, done, result)
            if (20 * done) % planned == 0:  # the rate falls on a 5% step: exact
                assert result.points == exact
    no_plan = line(cchc, "1.4", {"inputs": {"cuoc_ke_hoach": 0, "cuoc_thuc_hien": 0}})
    assert_line(no_plan, 0, "fail", None)
    assert_line(line(cchc, "1.4", {"inputs": {"cuoc_ke_hoach": 4, "cuoc_thuc_hien": 3}}),
                "1.25", "partial", 75)


def test_satisfaction_bands(cchc):
    def rated(hai_long, thu_ve=100):
        return line(cchc, "8.1", {"inputs": {"phieu_thu_ve": thu_ve, "hai_long": hai_long}})
    assert rated(90).points == 8 and rated(89).points == 6 and rated(80).points == 6
    assert rated(79).points == 4 and rated(70).points == 4 and rated(69).points == 2
    assert rated(0).points == 2
    assert rated(0, 0).status == "na"


# --------------------------------------------------------------------------- whole answer sets


def full_answers() -> dict:
    """Every one of the 57 criteria at its maximum."""
    return {
        "1.1": {"value": "dung_han", "note": "KH số 06/KH-UBND ngày 18/01/2025"},
        "1.2": {"inputs": {"planned": 20, "done": 20}},
        "1.3": {"inputs": {"bc_phai_gui": 4, "bc_dung_han": 4}},
        "1.4": {"inputs": {"cuoc_ke_hoach": 4, "cuoc_thuc_hien": 4}},
        "1.5": {"inputs": {"tong_ton_tai": 5, "da_khac_phuc": 5}},
        "1.6": {"value": True},
        "1.7": {"inputs": {"so_buoi": 12, "chi_tieu": 12, "so_nguoi": 688}},
        "1.8": {"inputs": {"dung_han": 9, "tre_han": 0, "chua_thuc_hien": 0}},
        "1.9": {"inputs": {"so_sang_kien": 1}},
        "1.10": {"value": True},
        "2.1": {"value": True},
        "2.2": {"inputs": {"phai_ra_soat": 7, "da_ra_soat": 7}},
        "2.3": {"inputs": {"phat_hien": 0, "da_xu_ly": 0}},
        "2.4": {"inputs": {"so_buoi": 6, "chi_tieu": 4}},
        "3.1": {"inputs": {"tthc_tham_quyen": 152, "tthc_niem_yet": 152}},
        "3.2": {"value": True},
        "3.3": {"inputs": {"ke_hoach": 12, "da_ra_soat": 12}},
        "3.4": {"inputs": {"tai_mot_cua": 109, "ngoai_mot_cua": 0}},
        "3.5": {"inputs": {"truoc_han": 200, "dung_han": 151, "tre_han_xa": 0,
                           "tre_han_cap_khac": 0, "dang_trong_han": 10, "qua_han_xa": 0,
                           "qua_han_cap_khac": 0}},
        "3.6": {"inputs": {"truoc_han": 200, "dung_han": 151, "tre_han": 0}},
        "3.7": {"inputs": {"so_tre_han": 0, "so_phieu_xin_loi": 0}},
        "3.8": {"inputs": {"tre_lien_thong_xa": 0}},
        "3.9": {"value": True},
        "3.10": {"inputs": {"tong_ho_so": 361, "tren_he_thong": 361}},
        "3.11": {"inputs": {"da_so_hoa": 351, "da_giai_quyet": 351}},
        "3.12": {"inputs": {"pakn_nhan": 2, "pakn_dung_han": 2}},
        "3.13": {"value": 1},
        "3.14": {"inputs": {"luot_danh_gia": 351, "da_giai_quyet": 351}},
        "3.15": {"value": True},
        "3.16": {"value": True},
        "4.1": {"value": True},
        "4.2": {"value": True},
        "4.3": {"value": True},
        "4.4": {"value": True},
        "5.1": {"inputs": {"tong_cbcc": 22, "dung_vtvl": 22}},
        "5.2": {"value": True},
        "5.3": {"inputs": {"ke_hoach": 10, "thuc_hien": 10}},
        "5.4": {"value": 2},
        "5.5": {"inputs": {"so_bi_ky_luat": 0}},
        "6.1": {"value": True},
        "6.2": {"value": ["du_toan", "thuc_hien", "quyet_toan"]},  # multi since issue 10
        "6.3": {"inputs": {"ke_hoach_von": 12500.5, "da_giai_ngan": 12500.5}},
        "6.4": {"value": True},
        "7.1": {"inputs": {"vb_di": 840, "vb_ky_so": 840}},
        "7.2": {"inputs": {"so_cbcc": 22, "su_dung": 22}},
        "7.3": {"value": True},
        "7.4": {"inputs": {"truc_tuyen": 200, "tong_ho_so": 361}},
        "7.5": {"inputs": {"co_phi": 40, "thanh_toan_tt": 40}},
        "7.6": {"inputs": {"so_tin": 30, "chi_tieu": 24}},
        "7.7": {"inputs": {"so_thon": 15, "co_to": 15}},
        "7.8": {"inputs": {"so_tai_khoan": 1200, "chi_tieu": 1000}},
        "7.9": {"value": 1},
        "8.1": {"inputs": {"phieu_phat": 200, "phieu_thu_ve": 190, "hai_long": 180}},
        "8.2": {"inputs": {"phan_anh_dung": 0}},
        "8.3": {"inputs": {"so_chi_tieu": 18, "so_dat": 18}},
        "8.4": {"inputs": {"du_toan": 3200, "thuc_thu": 3350.75}},
        "8.5": {"value": 4},
    }


def test_full_answer_set_scores_100_percent(cchc):
    answers = full_answers()
    assert len(answers) == 57
    card = score(cchc, answers)
    assert (card.total, card.max, card.percent, card.band) == (100, 100, 100, "Tốt")
    assert card.counts["pass"] == 57
    assert card.unanswered == [] and card.shortcomings == []
    assert [s.percent for s in card.sections] == [100] * 8 + [0]


def mixed_answers() -> dict:
    answers = full_answers()
    answers.update({
        "1.1": {"value": "tre_han"},                                     # 0,5 of 1    (-0,5)
        "1.2": {"inputs": {"planned": 20, "done": 16}},                  # 80%: 1 of 2 (-1)
        "1.4": {"inputs": {"cuoc_ke_hoach": 4, "cuoc_thuc_hien": 3}},    # 1,25 of 1,5 (-0,25)
        "1.7": {"inputs": {"so_buoi": 8, "chi_tieu": 12}},               # 66,67%: 0,5 (-0,5)
        "2.1": {"na": True},                                             # N/A: max -2
        "3.4": {"inputs": {"tai_mot_cua": 108, "ngoai_mot_cua": 1}},     # 99,08%: 0,5 (-0,5)
        "3.5": {"inputs": THIEN_NGHIEP_LIEN_THONG},                      # 53,99%: 0 of 5 (-5)
        "3.6": {"inputs": {"truoc_han": 6062, "dung_han": 48801, "tre_han": 0}},  # 0 (-1)
        "3.8": {"inputs": {"tre_lien_thong_xa": 6, "tre_lien_thong_cap_khac": 92}},  # 0 (-1)
        "3.11": {"inputs": {"da_so_hoa": 200, "da_giai_quyet": 300}},    # 1,5 × 2/3 = 1 (-0,5)
        "3.14": {"inputs": {"luot_danh_gia": 1, "da_giai_quyet": 3}},    # 0,333… → 0,33 (-0,67)
        "5.4": {"value": 1.5},                                           # (-0,5)
        "7.4": {"inputs": {"truc_tuyen": 38, "tong_ho_so": 108}},        # 35,19%: 0 (-4,5)
        "8.1": {"inputs": {"phieu_thu_ve": 200, "hai_long": 170}},       # 85%: 6 of 8 (-2)
        "8.5": {"value": 3.25},                                          # (-0,75)
        "9.1": {"value": 1, "note": "Mô hình được tỉnh công nhận"},      # bonus +1
        "9.2": {"value": 0.5, "note": "Báo cáo quý II gửi chậm"},        # penalty -0,5
    })
    del answers["7.2"]                                                   # unanswered (-1)
    return answers


def test_mixed_answer_set_scored_by_hand(cchc):
    # Hand computation:
    #   max   = 100 - 2 (2.1 N/A)                                            = 98
    #   lost  = 0,5 + 1 + 0,25 + 0,5 (section I: 2,25)
    #         + 0,5 + 5 + 1 + 1 + 0,5 + 0,67 (section III: 8,67)
    #         + 0,5 (V) + 4,5 + 1 (VII: 5,5) + 2 + 0,75 (VIII: 2,75)           = 19,67
    #   total = 98 - 19,67                                                   = 78,33
    #   percent = 100 × (78,33 + 1 - 0,5) / 98 = 80,4387… → 80,44            → Khá
    card = score(cchc, mixed_answers())
    assert (card.total, card.bonus, card.penalty, card.max) == (
        D("78.33"), D(1), D("0.5"), D(98))
    assert (card.percent, card.band) == (D("80.44"), "Khá")
    assert {k: card.counts[k] for k in ("pass", "partial", "fail", "na", "unanswered",
                                        "adjustment")} == {
        "pass": 41, "partial": 10, "fail": 4, "na": 1, "unanswered": 1, "adjustment": 2}
    sections = {s.id: (s.points, s.max, s.percent) for s in card.sections}
    assert sections == {
        "chi_dao": (D("9.75"), D(12), D("81.25")),
        "the_che": (D(6), D(6), D(100)),
        "tthc": (D("13.33"), D(22), D("60.59")),
        "bo_may": (D(6), D(6), D(100)),
        "cong_vu": (D("9.5"), D(10), D(95)),
        "tai_chinh": (D(7), D(7), D(100)),
        "cqs": (D("9.5"), D(15), D("63.33")),
        "tac_dong": (D("17.25"), D(20), D("86.25")),
        "thuong_tru": (D(0), D(0), D(0)),
    }
    assert sorted(l.id for l in card.shortcomings) == sorted([
        "1.1", "1.2", "1.4", "1.7", "3.4", "3.5", "3.6", "3.8", "3.11", "3.14", "5.4",
        "7.4", "8.1", "8.5"])
    assert card.line("3.14").points == D("0.33")


def test_weekly_self_check_scores(weekly):
    answers = {
        "W1": {"value": True}, "W2": {"inputs": {"truc_tiep": 30, "truc_tuyen": 12, "bcci": 1}},
        "W3": {"inputs": {"truoc_han": 10, "dung_han": 28, "tre_han": 1}},   # 97,44% → 1,2
        "W4": {"inputs": {"sap_den_han": 3}},
        "W5": {"inputs": {"qua_han_xa": 1, "qua_han_cap_khac": 2}},          # 0
        "W5b": {"inputs": {"nguyen_nhan": "Chờ kết quả xác minh của cấp tỉnh",
                           "cap_chiu_trach_nhiem": "xã: 01; cấp tỉnh: 02"}},
        "W6": {"value": True}, "W7": {"value": True}, "W8": {"value": False},  # W8: 0
        "W9": {"value": True},
        "W10": {"inputs": {"da_so_hoa": 39, "da_tra": 39}},
        "W11": {"inputs": {"truc_tuyen": 12, "tong_ho_so": 43}},             # 27,91% → 0
        "W12": {"value": True, "note": "Máy lấy số hỏng từ thứ Tư"},
        "W13": {"value": True},
        "W14": {"inputs": {"da_xu_ly": 0, "dang_trong_han": 0, "qua_han": 0}},  # none → 1
        "W15": {"value": True},
        "W16": {"inputs": {"viec": "Giải quyết dứt điểm hồ sơ quá hạn do xã",
                           "nguoi_phu_trach": "Nguyễn Văn A", "han": "2025-04-11"}},
    }
    card = score(weekly, answers)
    # 14 - (2 - 1,2) - 1 (W5) - 1 (W8) - 1 (W11) = 10,2 of 14 → 72,86% → Trung bình
    assert (card.total, card.max, card.percent, card.band) == (
        D("10.2"), D(14), D("72.86"), "Trung bình")
    assert card.line("W16").status == "info"
    assert card.counts["info"] == 4
    with pytest.raises(AnswerError, match="W16"):
        score(weekly, {"W16": {"inputs": {"han": "11/04/2025"}}})


def test_bad_answers_name_the_criterion(cchc):
    with pytest.raises(AnswerError, match="3.5"):
        score(cchc, {"3.5": {"na": True}})
    with pytest.raises(AnswerError, match="1.1"):
        score(cchc, {"1.1": {"value": True}})
    with pytest.raises(AnswerError, match="9.1"):
        score(cchc, {"9.1": {"value": 2.5}})


# --------------------------------------------------------------------------- the score command


def test_score_command_on_the_go_quao_example(tmp_path):
    from inspect_app import create_app

    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path)})
    answers = {"answers": {
        "3.5": {"inputs": {"truoc_han": 6062, "dung_han": 48801, "tre_han_xa": 0,
                           "tre_han_cap_khac": 0, "dang_trong_han": 0, "qua_han_xa": 0,
                           "qua_han_cap_khac": 0},
                "note": "Gò Quao, các xã, thị trấn, 9 tháng 2020"},
        "3.6": {"inputs": {"truoc_han": 6062, "dung_han": 48801, "tre_han": 0}},
        "3.7": {"inputs": {"so_tre_han": 0, "so_phieu_xin_loi": 0}},
    }}
    path = tmp_path / "go-quao.json"
    path.write_text(json.dumps(answers, ensure_ascii=False), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["score", "cchc-xa", str(path)])
    assert result.exit_code == 0, result.output
    card = json.loads(result.stdout)
    assert (card["checklist"], card["version"]) == ("cchc-xa", "2025.1")
    lines = {c["id"]: c for c in card["criteria"]}
    assert lines["3.5"] == {"id": "3.5", "section": "tthc", "type": "ratio", "status": "pass",
                            "points": 5, "max": 5, "value": 100}
    assert (lines["3.6"]["points"], lines["3.6"]["status"], lines["3.6"]["value"]) == (
        0, "fail", 11.05)
    assert (lines["3.7"]["points"], lines["3.7"]["status"], lines["3.7"]["value"]) == (
        1, "pass", None)
    assert card["total"] == 6 and card["max"] == 100 and card["percent"] == 6
    assert card["band"] == "Yếu"
    unanswered = [c["id"] for c in card["criteria"]
                  if c["status"] == "unanswered" and c["type"] not in ("bonus", "penalty")]
    assert len(unanswered) == 54

    by_path = app.test_cli_runner().invoke(args=["score", str(CCHC_XA), str(path)])
    assert by_path.exit_code == 0 and json.loads(by_path.stdout) == card

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"answers": {"3.5": {"na": True}}}), encoding="utf-8")
    refused = app.test_cli_runner().invoke(args=["score", "cchc-xa", str(bad)])
    assert refused.exit_code == 2
    assert "3.5" in refused.stderr


def test_checklists_check_command_accepts_both_files(tmp_path):
    from inspect_app import create_app

    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path)})
    result = app.test_cli_runner().invoke(args=["checklists", "check", str(CCHC_XA), str(WEEKLY)])
    assert result.exit_code == 0, result.output
    assert "ok  cchc-xa 2025.1: 9 sections, 59 criteria (57 scored), 100 points" in result.stdout
    assert "ok  tu-kiem-tra-mot-cua-tuan 2025.1" in result.stdout


# --------------------------------------------------------------------------- docs


def test_every_criterion_example_in_the_docs_is_valid():
    """The YAML examples of docs/checklists.md §6 parse as format-1 criteria."""
    import re
    import textwrap

    import yaml

    text = (ROOT / "docs" / "checklists.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, flags=re.S)
    checked = set()
    for block in blocks:
        block = textwrap.dedent(block)
        if not block.lstrip().startswith("- id:"):
            continue
        items = yaml.safe_load(block)
        if "criteria" in items[0]:
            sections = items
        else:
            sections = [{"id": "s", "title": "Phần", "criteria": items}]
        checklist = parse_checklist({"format": 1, "id": "doc", "version": "1", "title": "Ví dụ",
                                     "kind": "any", "sections": sections}, "docs example")
        checked.update(c.type for c in checklist.criteria)
    assert checked == {"yesno", "choice", "score", "ratio", "count", "info", "bonus", "penalty",
                       "multi"}
