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
