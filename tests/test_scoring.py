"""The scoring rules of DESIGN §4, one table per criterion type and per rule."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inspect_app.domain.scoring import AnswerError, answers_from_document, score

from .factories import COUNT, RATIO, criterion_data, make_checklist

D = Decimal


def line_of(criterion: dict, answer: dict | None):
    checklist = make_checklist(criterion_data(**criterion))
    card = score(checklist, {} if answer is None else {"c1": answer})
    return card.line("c1"), card


# ---------------------------------------------------------------- per type

@pytest.mark.parametrize("criterion, answer, points, status, value", [
    # yesno
    (dict(type="yesno", points=1.5), {"value": True}, "1.5", "pass", True),
    (dict(type="yesno", points=1.5), {"value": False}, "0", "fail", False),
    # choice: value defaults to label
    (dict(type="choice", points=1, options=[{"label": "Đúng hạn", "points": 1},
                                            {"label": "Trễ hạn", "points": 0.5},
                                            {"label": "Không", "points": 0}]),
     {"value": "Trễ hạn"}, "0.5", "partial", "Trễ hạn"),
    (dict(type="choice", points=2, options=[{"value": 1, "label": "Một", "points": 2},
                                            {"value": 2, "label": "Hai", "points": 1}]),
     {"value": 1.0}, "2", "pass", 1),
    (dict(type="choice", points=2, options=[{"value": "a", "label": "A", "points": 2},
                                            {"value": "b", "label": "B", "points": 0}]),
     {"value": "a"}, "2", "pass", "a"),
    # score
    (dict(type="score", points=2), {"value": 1.25}, "1.25", "partial", D("1.25")),
    (dict(type="score", points=2), {"value": 2}, "2", "pass", D(2)),
    (dict(type="score", points=2), {"value": 0}, "0", "fail", D(0)),
    (dict(type="score", points=1, step=0.1), {"value": 0.3}, "0.3", "partial", D("0.3")),
    # ratio with bands
    (RATIO, {"inputs": {"early": 6062, "ontime": 48801, "late": 0}}, "5", "pass", D("100.00")),
    (RATIO, {"inputs": {"early": 0, "ontime": 97, "late": 3}}, "3", "partial", D("97.00")),
    (RATIO, {"inputs": {"early": 0, "ontime": 89, "late": 11}}, "0", "fail", D("89.00")),
    # ratio proportional, capped at points
    (dict(RATIO, bands=None, proportional=True),
     {"inputs": {"early": 0, "ontime": 115, "late": 98}}, "2.70", "partial", D("53.99")),
    (dict(type="ratio", points=2, proportional=True, inputs={"a": "Thực thu", "b": "Dự toán"},
          numerator=["a"], denominator=["b"]),
     {"inputs": {"a": 150, "b": 100}}, "2", "pass", D("150.00")),
    # count with bands
    (COUNT, {"inputs": {"late": 0}}, "1", "pass", D(0)),
    (COUNT, {"inputs": {"late": 6}}, "0", "fail", D(6)),
    (dict(type="count", points=1, inputs={"a": "A", "b": "B"}, count=["a", "b"],
          bands=[{"min": 4, "points": 1}, {"min": 2, "points": 0.5}]),
     {"inputs": {"a": 1, "b": 2}}, "0.5", "partial", D(3)),
    # info: recorded only
    (dict(type="info", points=None, inputs={"n": "Số người"}), {"inputs": {"n": 688}},
     None, "info", None),
    (dict(type="info", points=None), {"value": "ghi chú"}, None, "info", "ghi chú"),
    # bonus / penalty
    (dict(type="bonus", points=2), {"value": 1.5}, "1.5", "adjustment", D("1.5")),
    (dict(type="penalty", points=5), {"value": 2}, "2", "adjustment", D(2)),
])
def test_points_per_type(criterion, answer, points, status, value):
    line, _ = line_of(criterion, answer)
    assert line.status == status
    assert line.points == (None if points is None else D(points))
    assert line.value == value


# ---------------------------------------------------------------- bands

@pytest.mark.parametrize("bands, value, points", [
    ([{"min": 90, "points": 1}], 90, "1"),             # min is inclusive
    ([{"min": 90, "points": 1}], 89, "0"),             # no match → 0
    ([{"max": 0, "points": 1}], 0, "1"),               # "no late files"
    ([{"max": 0, "points": 1}], 1, "0"),
    ([{"min": 2, "max": 4, "points": 1}], 4, "1"),     # max is inclusive
    ([{"min": 2, "max": 4, "points": 1}], 5, "0"),
    ([{"min": 2, "max": 4, "points": 1}], 1, "0"),
    ([{"min": 1, "points": 0.5}, {"min": 3, "points": 1}], 5, "0.5"),  # first match wins
    ([{"min": 10, "points": 1}, {"points": 0.25}], 3, "0.25"),          # catch-all band
])
def test_count_bands(bands, value, points):
    line, _ = line_of(dict(type="count", points=1, inputs={"n": "N"}, count=["n"], bands=bands),
                      {"inputs": {"n": value}})
    assert line.points == D(points)


def test_band_comparison_uses_the_exact_value_not_the_rounded_one():
    # 22499/22500 = 99.99556 % → shown as 100.00 but it is below the 100 % band
    line, _ = line_of(RATIO, {"inputs": {"early": 0, "ontime": 22499, "late": 1}})
    assert line.value == D("100.00")
    assert line.points == D(4)
    assert line.status == "partial"


def test_89_996_percent_stays_below_a_90_percent_band():
    criterion = dict(type="ratio", points=1, inputs={"a": "A", "b": "B"}, numerator=["a"],
                     denominator=["b"], bands=[{"min": 90, "points": 1}], decimal=True)
    line, _ = line_of(criterion, {"inputs": {"a": 89.996, "b": 100}})
    assert line.value == D("90.00")  # rounded for display
    assert line.points == D(0)       # but the band compares 89.996 < 90


# ---------------------------------------------------------------- on_zero

@pytest.mark.parametrize("on_zero, status, points, max_", [
    (None, "na", None, 0),      # default: not applicable, out of the maximum
    ("na", "na", None, 0),
    ("full", "pass", D(5), 5),
    ("zero", "fail", D(0), 5),
])
def test_ratio_with_zero_denominator(on_zero, status, points, max_):
    line, card = line_of(dict(RATIO, on_zero=on_zero), {"inputs": {"early": 0, "ontime": 0, "late": 0}})
    assert line.status == status
    assert line.points == points
    assert line.value is None
    assert card.max == max_


# ---------------------------------------------------------------- N/A and unanswered

def test_na_allowed_takes_the_criterion_out_of_the_maximum():
    checklist = make_checklist(criterion_data(id="a", points=2, na_allowed=True),
                               criterion_data(id="b", points=3))
    card = score(checklist, {"a": {"na": True}, "b": {"value": True}})
    assert card.line("a").status == "na"
    assert (card.total, card.max, card.percent) == (D(3), D(3), D("100.00"))


def test_na_refused_without_na_allowed():
    with pytest.raises(AnswerError, match=r"^c1: not applicable \(na\) is not allowed"):
        line_of(dict(type="yesno"), {"na": True})


@pytest.mark.parametrize("answer", [
    None, {}, {"note": "chưa có số liệu"}, {"inputs": {"early": 5, "ontime": 3}},
    {"inputs": {"early": 5, "ontime": None, "late": 0}},
])
def test_unanswered_scores_zero_and_stays_in_the_maximum(answer):
    line, card = line_of(RATIO, answer)
    assert line.status == "unanswered"
    assert line.points == 0
    assert card.max == 5 and card.percent == 0
    assert card.counts["unanswered"] == 1


def test_unanswered_bonus_is_not_a_missing_answer_of_the_inspection():
    checklist = make_checklist(criterion_data(id="a"), criterion_data(id="t", type="bonus", points=2))
    card = score(checklist, {"a": {"value": True}})
    assert card.line("t").status == "unanswered"
    assert [line.id for line in card.unanswered] == []
    assert card.percent == 100


# ---------------------------------------------------------------- step and range

@pytest.mark.parametrize("criterion, value, message", [
    (dict(type="score", points=2), 1.3, "not a multiple of the step 0.25"),
    (dict(type="score", points=2), 2.25, "out of range 0..2"),
    (dict(type="score", points=2), -0.25, "out of range 0..2"),
    (dict(type="score", points=2, step=0.5), 0.75, "not a multiple of the step 0.5"),
    (dict(type="bonus", points=2), 3, "out of range 0..2"),
    (dict(type="penalty", points=5, step=1), 1.5, "not a multiple of the step 1"),
])
def test_score_values_off_step_or_out_of_range(criterion, value, message):
    with pytest.raises(AnswerError) as exc:
        line_of(criterion, {"value": value})
    assert exc.value.problems == [f"c1: value {value} is {message}" if "range" in message
                                  else f"c1: value {value} is {message}"]


# ---------------------------------------------------------------- rounding

@pytest.mark.parametrize("numerator, denominator, points, expected", [
    (1, 8, 1, "0.13"),        # 0.125 → 0.13 (half-up, not banker's 0.12)
    (3, 8, 1, "0.38"),        # 0.375 → 0.38
    (1, 3, 1, "0.33"),
    (2, 3, 1, "0.67"),
    (115, 213, 5, "2.70"),    # 2.6995… → 2.70
    (207, 213, 5, "4.86"),
])
def test_points_round_half_up_to_two_decimals(numerator, denominator, points, expected):
    criterion = dict(type="ratio", points=points, proportional=True, inputs={"a": "A", "b": "B"},
                     numerator=["a"], denominator=["b"])
    line, _ = line_of(criterion, {"inputs": {"a": numerator, "b": denominator}})
    assert line.points == D(expected)


def test_totals_are_sums_of_rounded_points():
    criterion = dict(type="ratio", points=1, proportional=True, inputs={"a": "A", "b": "B"},
                     numerator=["a"], denominator=["b"])
    checklist = make_checklist(*(criterion_data(id=f"c{i}", **criterion) for i in range(3)))
    card = score(checklist, {f"c{i}": {"inputs": {"a": 1, "b": 8}} for i in range(3)})
    # exact sum would be 0.375 → 0.38; rounded per criterion 0.13 × 3 = 0.39
    assert card.total == D("0.39")
    assert card.percent == D("13.00")


# ---------------------------------------------------------------- totals, bonus, penalty, bands

def test_percent_includes_bonus_and_penalty_and_is_clamped():
    checklist = make_checklist(criterion_data(id="a", points=10, type="score"),
                               criterion_data(id="plus", type="bonus", points=2),
                               criterion_data(id="minus", type="penalty", points=5))
    card = score(checklist, {"a": {"value": 9.5}, "plus": {"value": 2}})
    assert (card.total, card.bonus, card.penalty, card.max) == (D("9.5"), D(2), D(0), D(10))
    assert card.percent == 100  # 115 % clamped
    card = score(checklist, {"a": {"value": 2}, "minus": {"value": 5}})
    assert card.percent == 0    # −30 % clamped
    card = score(checklist, {"a": {"value": 9}, "minus": {"value": 0.5}})
    assert card.percent == D("85.00") and card.band == "Khá"


def test_sections_leave_bonus_and_penalty_out():
    checklist = make_checklist(criterion_data(id="a", points=4, type="score"),
                               criterion_data(id="b", type="bonus", points=2))
    card = score(checklist, {"a": {"value": 3}, "b": {"value": 1}})
    section = card.sections[0]
    assert (section.points, section.max, section.percent) == (D(3), D(4), D("75.00"))
    assert card.total == 3 and card.percent == 100


@pytest.mark.parametrize("points, band", [(10, "Tốt"), (9, "Tốt"), (8.75, "Khá"), (6.5, "Trung bình"),
                                          (6.25, "Yếu"), (0, "Yếu")])
def test_rating_band_is_the_first_whose_min_is_reached(points, band):
    checklist = make_checklist(criterion_data(type="score", points=10))
    assert score(checklist, {"c1": {"value": points}}).band == band


def test_no_bands_gives_no_band_and_zero_max_gives_zero_percent():
    checklist = make_checklist(criterion_data(na_allowed=True), bands=None)
    card = score(checklist, {"c1": {"na": True}})
    assert card.band is None and card.max == 0 and card.percent == 0


def test_counts_and_card_shape():
    checklist = make_checklist(
        criterion_data(id="y"), criterion_data(id="n"), criterion_data(id="u"),
        criterion_data(id="s", type="score", points=2),
        criterion_data(id="i", type="info", points=None),
        criterion_data(id="x", na_allowed=True),
        criterion_data(id="b", type="bonus", points=1))
    card = score(checklist, {"y": {"value": True}, "n": {"value": False}, "s": {"value": 1},
                             "x": {"na": True}, "b": {"value": 1}, "i": {"value": "12 TTHC"}})
    assert card.counts == {"pass": 1, "partial": 1, "fail": 1, "na": 1, "unanswered": 1,
                           "info": 1, "adjustment": 1}
    data = card.as_dict()
    assert list(data) == ["checklist", "version", "total", "bonus", "penalty", "max", "percent",
                          "band", "counts", "sections", "criteria"]
    assert data["total"] == 2 and isinstance(data["total"], int)
    assert data["max"] == 5 and data["percent"] == 60 and data["bonus"] == 1  # (2 + 1) / 5
    assert data["criteria"][3] == {"id": "s", "section": "s1", "type": "score",
                                   "status": "partial", "points": 1, "max": 2, "value": 1}
    assert [line.id for line in card.shortcomings] == ["n", "s"]


# ---------------------------------------------------------------- answer errors name the criterion

@pytest.mark.parametrize("criterion, answer, problem", [
    (dict(type="yesno"), {"value": "có"}, "c1: value must be true or false, got 'có'"),
    (dict(type="yesno"), {"value": 1}, "c1: value must be true or false, got 1"),
    (dict(type="score", points=2), {"value": "1"}, "c1: value must be a number, got '1'"),
    (dict(type="score", points=2), {"value": True}, "c1: value must be a number, got true"),
    (dict(type="choice", points=1, options=[{"label": "A", "points": 1}]), {"value": "B"},
     "c1: unknown option 'B' (options: 'A')"),
    (RATIO, {"inputs": {"early": -1, "ontime": 2, "late": 0}},
     "c1: input “Trước hạn” must not be negative, got -1"),
    (RATIO, {"inputs": {"early": 1.5, "ontime": 2, "late": 0}},
     "c1: input “Trước hạn” must be a whole number, got 1.5"),
    (RATIO, {"inputs": {"early": "5", "ontime": 2, "late": 0}},
     "c1: input “Trước hạn” must be a number, got '5'"),
    (RATIO, {"inputs": {"soon": 1}}, "c1: unknown input 'soon' (inputs: early, ontime, late)"),
    (RATIO, {"inputs": [1, 2]}, "c1: inputs must be an object {input_id: number}"),
    (RATIO, {"value": 90}, "c1: a ratio criterion is answered with inputs, not a value"),
    (dict(type="yesno"), {"value": True, "inputs": {"a": 1}}, "c1: a yesno criterion takes no inputs"),
    (dict(type="yesno"), {"na": "yes"}, "c1: na must be true or false, got 'yes'"),
    (dict(type="yesno", na_allowed=True), {"na": True, "value": True},
     "c1: an answer cannot be both not applicable and have a value or inputs"),
    (dict(type="yesno"), {"value": True, "note": 5}, "c1: note must be text"),
    (dict(type="yesno"), {"vale": True}, "c1: unknown field 'vale' (fields: value, inputs, na, note)"),
    (dict(type="yesno"), "yes", "c1: an answer must be an object with value, inputs, na or note"),
])
def test_answer_errors(criterion, answer, problem):
    with pytest.raises(AnswerError) as exc:
        line_of(criterion, answer)
    assert exc.value.problems == [problem]


def test_unknown_criterion_and_every_problem_reported():
    checklist = make_checklist(criterion_data(id="a"), criterion_data(id="b", type="score", points=1))
    with pytest.raises(AnswerError) as exc:
        score(checklist, {"a": {"value": 3}, "b": {"value": 7}, "zz": {"value": True}})
    assert exc.value.problems == [
        "a: value must be true or false, got 3",
        "b: value 7 is out of range 0..1",
        "zz: unknown criterion (not in checklist mau 1)",
    ]


def test_bookkeeping_fields_of_stored_answers_are_ignored():
    line, _ = line_of(dict(type="yesno"), {"value": True, "rev": 3, "by": "an", "at": "2025-01-01"})
    assert line.status == "pass"


@pytest.mark.parametrize("document, message", [
    ([], "the answers file must be a JSON object"),
    ({"c1": {"value": True}}, "the answers file must be a JSON object"),
    ({"answers": []}, '"answers" must be an object'),
])
def test_answers_document_shape(document, message):
    with pytest.raises(AnswerError, match=message):
        answers_from_document(document)


# ---------------------------------------------------------------- properties

_points = st.decimals(min_value=D("0.25"), max_value=D(20), places=2)


@st.composite
def checklist_and_answers(draw):
    """A random checklist of every scored type, with random (valid or missing) answers."""
    criteria, answers = [], {}
    for i in range(draw(st.integers(1, 8))):
        cid = f"c{i}"
        kind = draw(st.sampled_from(["yesno", "score", "ratio_b", "ratio_p", "count", "choice",
                                     "bonus", "penalty"]))
        pts = draw(_points)
        if kind == "yesno":
            crit = dict(type="yesno", points=pts)
            ans = {"value": draw(st.booleans())}
        elif kind == "score":
            crit = dict(type="score", points=pts, step=0.01)
            ans = {"value": draw(st.decimals(min_value=0, max_value=pts, places=2))}
        elif kind in ("ratio_b", "ratio_p"):
            crit = dict(type="ratio", points=pts, inputs={"a": "A", "b": "B"},
                        numerator=["a"], denominator=["b"],
                        on_zero=draw(st.sampled_from(["na", "full", "zero"])))
            if kind == "ratio_p":
                crit["proportional"] = True
            else:
                crit["bands"] = [{"min": 90, "points": pts}, {"min": 50, "points": (pts / 2).quantize(D("0.01"))}]
            ans = {"inputs": {"a": draw(st.integers(0, 10**6)), "b": draw(st.integers(0, 10**6))}}
        elif kind == "count":
            crit = dict(type="count", points=pts, inputs={"n": "N"}, count=["n"],
                        bands=[{"max": 0, "points": pts}])
            ans = {"inputs": {"n": draw(st.integers(0, 100))}}
        elif kind == "choice":
            crit = dict(type="choice", points=pts,
                        options=[{"label": "A", "points": pts}, {"label": "B", "points": 0}])
            ans = {"value": draw(st.sampled_from(["A", "B"]))}
        else:
            crit = dict(type=kind, points=pts, step=0.01)
            ans = {"value": draw(st.decimals(min_value=0, max_value=pts, places=2))}
        criteria.append(criterion_data(id=cid, **crit))
        if draw(st.booleans()) or kind in ("ratio_b", "ratio_p"):
            answers[cid] = ans
    return make_checklist(*criteria), answers


@settings(max_examples=300, deadline=None)
@given(checklist_and_answers())
def test_points_stay_within_range_and_percent_within_0_100(data):
    checklist, answers = data
    card = score(checklist, answers)
    for line in card.criteria:
        if line.points is not None:
            assert 0 <= line.points <= line.max
    assert 0 <= card.total <= card.max
    assert 0 <= card.percent <= 100
    assert sum(s.points for s in card.sections) == card.total
    assert sum(s.max for s in card.sections) == card.max
    assert sum(card.counts.values()) == len(checklist.criteria)


# 3.7 of cchc-xa as shipped: apology slips out of late files; no late file → full marks.
APOLOGY = dict(type="ratio", points=1,
               inputs={"so_tre_han": "Số hồ sơ trễ hạn",
                       "so_phieu_xin_loi": "Số hồ sơ trễ hạn đã có phiếu xin lỗi"},
               numerator=["so_phieu_xin_loi"], denominator=["so_tre_han"], on_zero="full",
               bands=[{"min": 100, "points": 1}, {"min": 90, "points": 0.5}])


def test_a_ratio_counting_something_out_of_nothing_is_flagged():
    """A commune (or an inspector) types the two figures of 3.7 the wrong way round: 5
    apology slips, 0 late files (really 0 slips for 5 late files, worth 0 points). It
    expects the line to be flagged for a second look, as 5 slips for 4 late files is
    (docs/checklists.md §7: "a ratio above 100 % is flagged … the two figures may be
    swapped"). It gets full marks and no flag at all: on_zero "full" wins whatever the
    numerator says, so the swapped figures earn the full point silently."""
    checklist = make_checklist(criterion_data(**APOLOGY))
    over = score(checklist, {"c1": {"inputs": {"so_tre_han": 4, "so_phieu_xin_loi": 5}}})
    assert over.line("c1").check == "over_100"  # 125 %: flagged
    swapped = score(checklist, {"c1": {"inputs": {"so_tre_han": 0, "so_phieu_xin_loi": 5}}})
    line = swapped.line("c1")
    assert line.check == "over_100" or line.points != 1, (line.points, line.check)
