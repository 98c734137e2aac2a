"""The JSON Schema of checklist files (docs/checklist.schema.json), generated from the
registry: the common structure is written here once, each type adds its keys
(``schema`` hook). ``python -m inspect_app.domain.criteria.schema`` prints it; a test
checks that the file is what this module generates.

Standard library only.
"""
from __future__ import annotations

import copy
import json
from typing import Any

BASE: dict[str, Any] = {'$schema': 'https://json-schema.org/draft/2020-12/schema',
 'title': 'inspect_app checklist, format 1',
 'description': "Editor help for checklists/*.yaml (DESIGN.md §3, docs/checklists.md). The app's "
                'own validator (flask --app inspect_app checklists check) is authoritative: it '
                'also checks what a schema cannot, such as unique ids, band and option points '
                "not above the criterion's points, min <= max, and numerator/denominator/count "
                'naming existing number inputs.',
 'type': 'object',
 'required': ['format', 'id', 'version', 'title', 'kind', 'sections'],
 'additionalProperties': False,
 'properties': {'format': {'description': 'Format version of the file. Always 1.', 'const': 1},
                'id': {'description': 'Checklist id: lower-case letters, digits, _ and -; unique '
                                      'among the loaded checklists.',
                       'type': 'string',
                       'pattern': '^[a-z0-9_-]+$'},
                'version': {'description': 'Free text, e.g. "2025.1". Quote it so that YAML '
                                           'keeps it as text. An inspection keeps a frozen copy '
                                           'of the version it used.',
                            '$ref': '#/$defs/requiredText'},
                'title': {'description': 'Title shown in lists and printed documents.',
                          '$ref': '#/$defs/requiredText'},
                'kind': {'description': 'inspection (by an inspection team), self_check (by the '
                                        'unit itself) or any.',
                         'enum': ['inspection', 'self_check', 'any']},
                'cadence': {'description': 'Optional: how often it is filled, so the period of a '
                                           'new record is of that kind (weekly: 2025-W14, '
                                           'monthly: 2025-03, quarterly: 2025-Q1, half_yearly: '
                                           '2025-H1, yearly: 2025). Without it any period is '
                                           'accepted.',
                            'enum': ['weekly', 'monthly', 'quarterly', 'half_yearly', 'yearly']},
                'description': {'description': 'Optional longer description.',
                                '$ref': '#/$defs/optionalText'},
                'bands': {'description': 'Optional rating by percent; the first band whose min '
                                         '<= percent names the result. List them from the '
                                         'highest min down.',
                          'type': ['array', 'null'],
                          'items': {'type': 'object',
                                    'required': ['min', 'label'],
                                    'additionalProperties': False,
                                    'properties': {'min': {'type': 'number',
                                                           'minimum': 0,
                                                           'maximum': 100},
                                                   'label': {'$ref': '#/$defs/requiredText'}}}},
                'sections': {'description': 'Sections in display order; one phone screen each.',
                             'type': 'array',
                             'minItems': 1,
                             'items': {'$ref': '#/$defs/section'}}},
 '$defs': {'requiredText': {'description': 'Text (a number is read as its text); must not be '
                                           'empty.',
                            'anyOf': [{'type': 'string', 'pattern': '\\S'}, {'type': 'number'}]},
           'optionalText': {'anyOf': [{'type': 'string'}, {'type': 'number'}, {'type': 'null'}]},
           'optionalFlag': {'type': ['boolean', 'null']},
           'itemId': {'description': 'Letters, digits, _, . and -. Quote ids such as "1.1": '
                                     'unquoted, YAML reads them as numbers.',
                      'anyOf': [{'type': 'string', 'pattern': '^[A-Za-z0-9_.-]+$'},
                                {'type': 'integer', 'minimum': 0}]},
           'section': {'type': 'object',
                       'required': ['id', 'title', 'criteria'],
                       'additionalProperties': False,
                       'properties': {'id': {'$ref': '#/$defs/itemId'},
                                      'title': {'$ref': '#/$defs/requiredText'},
                                      'description': {'$ref': '#/$defs/optionalText'},
                                      'survey': {'description': 'Scored from a sociological '
                                                                'survey: its points are imported '
                                                                'per unit (assessments survey), '
                                                                'never self-scored; score '
                                                                'criteria only.',
                                                 'type': ['boolean', 'null']},
                                      'criteria': {'type': 'array',
                                                   'minItems': 1,
                                                   'items': {'$ref': '#/$defs/criterion'}}}},
           'inputLabel': {'description': 'The label of a number input.',
                          'type': 'string',
                          'pattern': '\\S'},
           'inputSpec': {'description': '{label, type, min, max}: type number (default), or '
                                        'text/date (info criteria only); min and max narrow the '
                                        'accepted range of a number input (within 0..10^12).',
                         'type': 'object',
                         'required': ['label'],
                         'additionalProperties': False,
                         'properties': {'label': {'$ref': '#/$defs/requiredText'},
                                        'type': {'enum': ['number', 'text', 'date']},
                                        'min': {'description': 'The smallest accepted answer '
                                                               '(number inputs only).',
                                                'type': 'number',
                                                'minimum': 0,
                                                'maximum': 1000000000000},
                                        'max': {'description': 'The largest accepted answer '
                                                               '(number inputs only).',
                                                'type': 'number',
                                                'minimum': 0,
                                                'maximum': 1000000000000}}},
           'inputs': {'description': 'Ordered map {input_id: label} of the numbers asked for '
                                     'separately; a value may also be {label, type}.',
                      'type': 'object',
                      'minProperties': 1,
                      'propertyNames': {'pattern': '^[A-Za-z0-9_.-]+$'},
                      'additionalProperties': {'anyOf': [{'$ref': '#/$defs/inputLabel'},
                                                         {'$ref': '#/$defs/inputSpec'}]}},
           'numberInputs': {'description': 'On ratio and count criteria every input is a number.',
                            'type': 'object',
                            'additionalProperties': {'anyOf': [{'type': 'string'},
                                                               {'type': 'object',
                                                                'properties': {'type': {'const': 'number'}}}]}},
           'actions': {'description': 'info criteria only: which inputs hold actions for the '
                                      'remediation plan. Each non-empty line of the action text '
                                      'input becomes a remediation item when the record is '
                                      'finalized; owner (a text input) and due (a date input) '
                                      'give every such item its owner and deadline.',
                       'type': 'object',
                       'required': ['action'],
                       'additionalProperties': False,
                       'properties': {'action': {'description': 'A text input: one action per '
                                                                'line.',
                                                 'type': 'string',
                                                 'pattern': '^[A-Za-z0-9_.-]+$'},
                                      'owner': {'description': 'A text input: who carries the '
                                                               'actions out.',
                                                'type': 'string',
                                                'pattern': '^[A-Za-z0-9_.-]+$'},
                                      'due': {'description': 'A date input: the deadline of the '
                                                             'actions.',
                                              'type': 'string',
                                              'pattern': '^[A-Za-z0-9_.-]+$'}}},
           'inputRefs': {'description': 'Input ids (a list, or a single id).',
                         'anyOf': [{'type': 'string', 'pattern': '^[A-Za-z0-9_.-]+$'},
                                   {'type': 'integer'},
                                   {'type': 'array',
                                    'minItems': 1,
                                    'items': {'anyOf': [{'type': 'string',
                                                         'pattern': '^[A-Za-z0-9_.-]+$'},
                                                        {'type': 'integer'}]}}]},
           'scoreBands': {'description': 'Checked in the order written; the first band with min '
                                         '<= value (if min given) and value <= max (if max '
                                         'given) awards its points; no match awards 0. '
                                         'Comparisons use the exact, unrounded value.',
                          'type': 'array',
                          'minItems': 1,
                          'items': {'type': 'object',
                                    'required': ['points'],
                                    'additionalProperties': False,
                                    'properties': {'min': {'type': ['number', 'null']},
                                                   'max': {'type': ['number', 'null']},
                                                   'points': {'type': 'number', 'minimum': 0}}}}}}

COMMON_PROPERTIES: dict[str, Any] = {'id': {'$ref': '#/$defs/itemId'},
 'text': {'description': 'The criterion as the inspector reads it.',
          '$ref': '#/$defs/requiredText'},
 'type': {'description': 'yesno, choice, score, ratio, count (scored); info (recorded only); '
                         'bonus, penalty (outside the maximum).',
          'enum': ['yesno', 'choice', 'score', 'ratio', 'count', 'info', 'bonus', 'penalty']},
 'points': {'description': 'Maximum points (cap for bonus/penalty). Required and > 0 except on '
                           'info criteria, which have none.',
            'type': ['number', 'null']},
 'help': {'description': 'How to score, shown to the inspector.', '$ref': '#/$defs/optionalText'},
 'na_allowed': {'description': 'May the answer be "not applicable"? Default false.',
                '$ref': '#/$defs/optionalFlag'},
 'evidence': {'description': 'What evidence to look at.', '$ref': '#/$defs/optionalText'},
 'evidence_required': {'description': 'Self-checks: evidence or a written explanation is needed.',
                       '$ref': '#/$defs/optionalFlag'},
 'remedy': {'description': 'Default remediation action when the criterion falls short.',
            '$ref': '#/$defs/optionalText'},
 'remedy_owner': {'description': 'Default owner of the remediation item.',
                  '$ref': '#/$defs/optionalText'},
 'remedy_days': {'description': 'Default deadline, in days after finalizing.',
                 'type': ['integer', 'null'],
                 'minimum': 0}}

ROLE_WORDS = {"scored": "scored", "info": "recorded only", "adjustment": "outside the maximum"}


def _key_names(keys: tuple[str, ...]) -> dict[str, Any]:
    common = {"$ref": "#/$defs/commonKeys"}
    if not keys:
        return common
    own = {"const": keys[0]} if len(keys) == 1 else {"enum": list(keys)}
    return {"anyOf": [common, own]}


def checklist_schema() -> dict[str, Any]:
    """The whole schema, as a JSON-ready dict."""
    from ..checklist import COMMON_KEYS
    from . import TYPES

    schema = copy.deepcopy(BASE)
    properties = copy.deepcopy(COMMON_PROPERTIES)
    by_role: dict[str, list[str]] = {}
    for name, kind in TYPES.items():
        by_role.setdefault(kind.role, []).append(name)
    properties["type"] = {
        "description": "; ".join(f"{', '.join(names)} ({ROLE_WORDS[role]})"
                                 for role, names in by_role.items()) + ".",
        "enum": list(TYPES)}
    rules: list[dict[str, Any]] = [{
        "if": {"properties": {"type": {"enum": by_role.get("info", [])}}, "required": ["type"]},
        "then": {"properties": {"points": {"description": "info criteria have no points",
                                           "enum": [0, None]}}},
        "else": {"required": ["points"],
                 "properties": {"points": {"type": "number", "exclusiveMinimum": 0}}},
    }]
    option = None
    for name, kind in TYPES.items():
        own = kind.schema()
        for key, value in own.get("properties", {}).items():
            if key in properties and properties[key] != value:
                raise ValueError(f"type {name!r} defines key {key!r} differently from another type")
            properties[key] = value
        then: dict[str, Any] = {}
        if own.get("required"):
            then["required"] = list(own["required"])
        then["propertyNames"] = _key_names(kind.keys)
        then.update(own.get("then", {}))
        rules.append({"if": {"properties": {"type": {"const": name}}, "required": ["type"]},
                      "then": then})
        option = option or own.get("properties", {}).get("options")
    schema["$defs"]["commonKeys"] = {"enum": list(COMMON_KEYS)}
    schema["$defs"]["criterion"] = {"type": "object", "required": ["id", "text", "type"],
                                    "properties": properties, "allOf": rules}
    return schema


def schema_text() -> str:
    """The schema as docs/checklist.schema.json holds it."""
    return json.dumps(checklist_schema(), ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(schema_text(), end="")
