"""Guards of the layering (DESIGN §2): the domain is pure standard-library Python; the
services and the exports know nothing of HTTP (no Flask, Werkzeug, WTForms, nor ``web/``)."""
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


#: What the use cases and the exports may not import: HTTP, forms, request-bound translation.
WEB_LIBRARIES = {"flask", "flask_babel", "flask_login", "flask_wtf", "werkzeug", "wtforms",
                 "itsdangerous"}
#: Imports allowed all the same, each with its reason.
ALLOWED = {
    # password hashing (scrypt with its stored format), not HTTP: kept rather than hand-rolled
    ("accounts.py", "werkzeug.security"),
}
SERVICE_FILES = sorted((PACKAGE / "services").glob("*.py"))
EXPORT_FILES = sorted((PACKAGE / "exports").glob("*.py"))


def full_imports(path: Path) -> list[tuple[str, int]]:
    """(dotted module, level) of every import in a file (``from . import x`` → ``x``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((alias.name, 0) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.module:
                found.append((node.module, node.level))
            else:
                found.extend((alias.name, node.level) for alias in node.names)
    return found


def web_imports(path: Path) -> list[str]:
    """The imports of ``path`` (in a subpackage of inspect_app) that reach HTTP."""
    bad = []
    for module, level in full_imports(path):
        top = module.split(".")[0]
        if level == 0 and (top in WEB_LIBRARIES or module.startswith("inspect_app.web")):
            if (path.name, module) not in ALLOWED:
                bad.append(module)
        elif level == 2 and top == "web":  # from ..web import …
            bad.append("inspect_app." + module)
    return bad


@pytest.mark.parametrize("path", SERVICE_FILES, ids=lambda p: p.name)
def test_services_import_nothing_of_the_web(path):
    assert web_imports(path) == [], f"services/{path.name} imports the web layer"


@pytest.mark.parametrize("path", EXPORT_FILES, ids=lambda p: p.name)
def test_exports_import_nothing_of_the_web(path):
    assert web_imports(path) == [], f"exports/{path.name} imports the web layer"


def test_the_web_guard_sees_flask_and_web(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import flask\nfrom werkzeug.exceptions import NotFound\n"
                   "from ..web.labels import X\nfrom ..web import auth\nfrom . import clock\n"
                   "from inspect_app.web import api\nfrom ..domain import rules\n")
    assert web_imports(bad) == ["flask", "werkzeug.exceptions", "inspect_app.web.labels",
                                "inspect_app.web", "inspect_app.web"]


def test_the_guard_sees_a_forbidden_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import flask\nfrom tinydb import TinyDB\nfrom ..storage import x\n")
    assert imported_modules(bad) == [("flask", 0), ("tinydb", 0), ("storage", 2)]


EXPORT_FILES = sorted((PACKAGE / "exports").glob("*.py"))
#: What the exports may not use (issue 10): they are called by the web layer, the
#: command line and background jobs alike, with plain records and a locale.
EXPORT_FORBIDDEN = {"flask", "flask_babel", "flask_wtf", "flask_login", "werkzeug", "wtforms",
                    "numpy", "pandas"}


def every_import(path: Path) -> list[tuple[str, int]]:
    """(full module, level) of every import in a file, nested ones included."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((alias.name, 0) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.append((node.module or "", node.level))
    return found


@pytest.mark.parametrize("path", EXPORT_FILES, ids=lambda p: p.name)
def test_exports_import_no_flask_nor_the_web_layer(path):
    for module, level in every_import(path):
        top = module.split(".")[0]
        assert level > 0 or top not in EXPORT_FORBIDDEN, f"{path.name} imports {module}"
        assert not (level == 1 and top == "web") and not (level == 2 and top == "web"), \
            f"{path.name} imports the web layer ({'.' * level}{module})"
        assert not module.startswith("inspect_app.web"), f"{path.name} imports {module}"


def test_the_export_path_imports_no_web_library_nor_numpy():
    """Building and writing a workbook from plain records loads neither the web layer's
    libraries nor numpy/pandas (0,4 s and ~50 MB per process that the export never
    needs). Flask itself is imported by the package's ``__init__`` (``create_app``)."""
    import subprocess

    code = ("import sys; import inspect_app.exports.workbook, inspect_app.exports.xlsx, "
            "inspect_app.services.exports; "
            "print(sorted(m for m in ('flask_babel', 'flask_wtf', 'wtforms', 'numpy', 'pandas', "
            "'inspect_app.web') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=PACKAGE.parent, check=True).stdout.strip()
    assert out == "[]"


def test_an_app_on_the_embedded_store_loads_no_heavy_library(tmp_path):
    """Every process (a gunicorn worker, each ``flask`` command, the export) pays for what
    the app imports at start: pandas (the dashboards), fpdf and numpy (PDF files),
    procrastinate (the PostgreSQL task queue) wait until they are used."""
    import subprocess

    script = ("import sys; from inspect_app import create_app; "
              f"app = create_app({{'DATA_DIR': {str(tmp_path)!r}, 'SECRET_KEY': 'x'}}); "
              "app.test_client().get('/login'); "
              "print(' '.join(sorted(m for m in ('pandas', 'numpy', 'fpdf', 'procrastinate', "
              "'openpyxl') if m in sys.modules)))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent.parent, timeout=60, check=True)
    assert done.stdout.strip() == ""
