"""Guards of the layering (DESIGN §2): the domain is pure standard-library Python."""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "inspect_app"
DOMAIN_FILES = sorted((PACKAGE / "domain").glob("*.py"))
FORBIDDEN = {"flask", "wtforms", "flask_wtf", "flask_login", "flask_babel", "tinydb", "pandas",
             "qrcode", "yaml", "filelock", "xlsxwriter", "openpyxl", "PIL", "babel", "werkzeug"}


def imported_modules(path: Path) -> list[tuple[str, int]]:
    """(top-level module, level) of every import in a file; level > 0 means relative."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((alias.name.split(".")[0], 0) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.append(((node.module or "").split(".")[0], node.level))
    return found


@pytest.mark.parametrize("path", DOMAIN_FILES, ids=lambda p: p.name)
def test_domain_imports_only_the_standard_library(path):
    for module, level in imported_modules(path):
        if level == 1:
            continue  # a sibling domain module
        assert level == 0, f"{path.name} reaches outside the domain package ({'.' * level}{module})"
        assert module not in FORBIDDEN, f"{path.name} imports {module}"
        assert module in sys.stdlib_module_names or module == "__future__", \
            f"{path.name} imports {module}, which is not in the standard library"


def test_the_guard_sees_a_forbidden_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import flask\nfrom tinydb import TinyDB\nfrom ..storage import x\n")
    assert imported_modules(bad) == [("flask", 0), ("tinydb", 0), ("storage", 2)]
