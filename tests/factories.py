"""Factory helpers: build checklists and answers that say only what a test cares about."""
from __future__ import annotations

import copy
from typing import Any

from inspect_app.domain.checklist import Checklist, parse_checklist


def criterion_data(**overrides: Any) -> dict[str, Any]:
    """A yes/no criterion worth 1 point, with ``overrides`` applied."""
    data: dict[str, Any] = {"id": "c1", "text": "Tiêu chí mẫu", "type": "yesno", "points": 1}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def checklist_data(*criteria: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """A valid format-1 checklist with one section holding ``criteria``."""
    data: dict[str, Any] = {
        "format": 1, "id": "mau", "version": "1", "title": "Danh mục mẫu", "kind": "inspection",
        "bands": [{"min": 90, "label": "Tốt"}, {"min": 80, "label": "Khá"},
                  {"min": 65, "label": "Trung bình"}, {"min": 0, "label": "Yếu"}],
        "sections": [{"id": "s1", "title": "Phần một",
                      "criteria": [copy.deepcopy(c) for c in criteria] or [criterion_data()]}],
    }
    data.update(overrides)
    return data


def make_checklist(*criteria: dict[str, Any], **overrides: Any) -> Checklist:
    """Parse :func:`checklist_data` (raises if the data is invalid)."""
    return parse_checklist(checklist_data(*criteria, **overrides), "test.yaml")


RATIO = dict(type="ratio", points=5,
             inputs={"early": "Trước hạn", "ontime": "Đúng hạn", "late": "Trễ hạn"},
             numerator=["early", "ontime"], denominator=["early", "ontime", "late"],
             bands=[{"min": 100, "points": 5}, {"min": 98, "points": 4}, {"min": 95, "points": 3},
                    {"min": 90, "points": 1.5}])
COUNT = dict(type="count", points=1, inputs={"late": "Trễ do xã"}, count=["late"],
             bands=[{"max": 0, "points": 1}])
