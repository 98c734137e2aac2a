"""Log lines stay one line each and writable, whatever text a request carries."""
from __future__ import annotations

import logging

import pytest


@pytest.mark.parametrize("logger", ["inspect_app.services", "inspect_app.storage"])
def test_a_lone_surrogate_or_a_line_break_is_escaped(app, caplog, logger):
    caplog.set_level(logging.INFO, logger="inspect_app")
    logging.getLogger(logger).info("started unit=%s", "X\ud800\nforged line")
    [record] = [r for r in caplog.records if r.name == logger]
    assert record.getMessage() == "started unit=X\\ud800\\nforged line"


@pytest.mark.parametrize("path, shown", [("/a%0Ab", "/a\\nb")])
def test_request_text_is_escaped_in_the_log(app, client, caplog, path, shown):
    caplog.set_level(logging.INFO, logger="inspect_app")
    client.get(path)
    lines = [r.getMessage() for r in caplog.records if r.name == "inspect_app.web"]
    assert any(f"path={shown} " in line for line in lines), lines
    for line in lines:
        line.encode("utf-8")  # a lone surrogate would raise here
        assert "\n" not in line


def test_the_demo_says_once_what_it_loaded(app, runner, caplog):
    """Loading the demo province is one line, not one per record it builds; the use cases'
    own lines name the kind of record they finalize."""
    caplog.set_level(logging.INFO, logger="inspect_app")
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    lines = [r.getMessage() for r in caplog.records if r.name == "inspect_app.services"]
    assert lines == ["demo loaded: 10 units, 14 users"]
    assert logging.getLogger("inspect_app.services").level == logging.NOTSET  # restored


def test_a_finalized_self_check_is_logged_as_one(app, make_inspection, caplog):
    from inspect_app.services import commands
    from inspect_app.services import inspections as service

    record = make_inspection(kind="self_check", period="2025-W14",
                             checklist="tu-kiem-tra-mot-cua-tuan")
    caplog.set_level(logging.INFO, logger="inspect_app")
    store = app.extensions["store"]
    scope = service.scope_for(store, store.get_user("ua"))
    for criterion in ("W1", "W6", "W7", "W8"):  # those need evidence
        service.save_answer(store, scope, record.id, commands.answer_op(
            criterion, {"op_id": f"note-op-{criterion}", "base_rev": 0, "value": True,
                        "note": "Đã kiểm tra"}))
    service.finalize(store, scope, record.id,
                     commands.finalize_op({"op_id": "finalize-1", "allow_unanswered": True}))
    lines = [r.getMessage() for r in caplog.records if r.name == "inspect_app.services"]
    assert any(line.startswith(f"finalized self_check={record.id} ") for line in lines), lines
