"""Units that merge and rename: successor, history codes, the name on a day."""
from inspect_app.domain.models import Unit
from inspect_app.domain.units import history_codes, name_on, successor


def _units(*units):
    return {u.code: u for u in units}


def test_a_merged_unit_s_history_lives_in_the_end_of_its_chain():
    units = _units(Unit("A", "Xã A", merged_into="B", merged_on="2025-07-01"),
                   Unit("B", "Xã B", merged_into="C", merged_on="2026-01-01"),
                   Unit("C", "Xã C"), Unit("D", "Xã D"))
    assert successor("A", units) == "C"
    assert successor("D", units) == "D"
    assert successor("unknown", units) == "unknown"
    assert history_codes("C", units) == {"A", "B", "C"}
    assert history_codes("D", units) == {"D"}


def test_a_loop_of_merges_stops_instead_of_hanging():
    units = _units(Unit("A", "A", merged_into="B"), Unit("B", "B", merged_into="A"))
    assert successor("A", units) in {"A", "B"}


def test_the_name_on_a_day_is_the_name_used_then():
    unit = Unit("X", "Phường Mới", former_names=[{"name": "Xã Cũ", "until": "2025-06-30"}])
    assert name_on(unit, "2024-05-01") == "Xã Cũ"
    assert name_on(unit, "2025-06-30") == "Xã Cũ"
    assert name_on(unit, "2025-07-01") == "Phường Mới"
    assert name_on(unit, None) == "Phường Mới"


def test_the_new_fields_are_left_out_of_a_plain_unit_s_stored_form():
    assert Unit("A", "Xã A").to_dict() == {"code": "A", "name": "Xã A", "parent": None,
                                           "address": ""}
    merged = Unit("A", "Xã A", merged_into="B", merged_on="2025-07-01")
    assert Unit.from_dict(merged.to_dict()) == merged
