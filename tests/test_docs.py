"""The documentation stays complete: every setting, command and criterion type is in it."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from inspect_app import settings
from inspect_app.domain.checklist import CRITERION_TYPES

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def table_rows(text: str) -> dict[str, list[str]]:
    """Markdown table rows keyed by their first cell, backticks removed."""
    rows = {}
    for line in text.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
            rows[cells[0].strip("`")] = cells[1:]
    return rows


def documented_default(setting: settings.Setting) -> str:
    """How docs/settings.md writes a default: as it would be written in the environment."""
    value = setting.default
    if value is None:
        return "—"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if value == "":
        return "(empty)"
    if isinstance(value, str) and Path(value).is_absolute():
        return f"`{Path(value).relative_to(settings.PROJECT_DIR)}/`"
    return f"`{value}`"


SETTING_ROWS = table_rows(read(DOCS / "settings.md"))


@pytest.mark.parametrize("setting", settings.SETTINGS, ids=lambda s: s.name)
def test_every_setting_is_documented_with_its_default_and_help(setting):
    row = SETTING_ROWS.get(f"INSPECT_{setting.name}")
    assert row is not None, f"add INSPECT_{setting.name} to docs/settings.md"
    default, help_text = row[0], " | ".join(row[1:])
    assert default == documented_default(setting)
    assert " ".join(setting.help.split()) in " ".join(help_text.split())


def test_settings_md_documents_no_setting_that_does_not_exist():
    names = {f"INSPECT_{s.name}" for s in settings.SETTINGS}
    documented = {k for k in SETTING_ROWS if k.startswith("INSPECT_")}
    assert documented <= names


#: Keys the code reads from app.config that are Flask's or an extension's, not ours.
FRAMEWORK_KEYS = {"BABEL_DEFAULT_LOCALE", "BABEL_DEFAULT_TIMEZONE", "BABEL_TRANSLATION_DIRECTORIES",
                  "TESTING", "DEBUG", "SERVER_NAME", "PREFERRED_URL_SCHEME", "APPLICATION_ROOT"}


def test_every_setting_the_code_reads_is_in_the_settings_table():
    names = {s.name for s in settings.SETTINGS}
    read_keys = set()
    for path in (ROOT / "inspect_app").rglob("*.py"):
        read_keys |= set(re.findall(r"""config(?:\.get\(|\[)\s*["']([A-Z][A-Z0-9_]+)["']""",
                                    read(path)))
    missing = read_keys - names - FRAMEWORK_KEYS
    assert not missing, f"add these to settings.SETTINGS (and docs/settings.md): {missing}"


def _commands():
    """Every command of ``flask --app inspect_app`` that the app adds, as "group sub"."""
    import tempfile

    from inspect_app import create_app, storage

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"TESTING": True, "DATA_DIR": tmp, "SECRET_KEY": "x"})
        names = []
        for name, command in sorted(app.cli.commands.items()):
            subcommands = getattr(command, "commands", None)
            if subcommands:
                names += [f"{name} {sub}" for sub in sorted(subcommands)]
            else:
                names.append(name)
    storage._stores.pop(Path(tmp).resolve(), None)
    return names


README = read(ROOT / "README.md")


@pytest.mark.parametrize("command", _commands())
def test_every_command_is_in_the_readme(command):
    """The README's command table has a row for every command (`units add CODE NAME …`)."""
    rows = [line for line in README.splitlines() if line.startswith("| `")]
    assert any(line.startswith(f"| `{command}`") or line.startswith(f"| `{command} ")
               for line in rows), f"add `{command}` to the command table of README.md"


def test_design_commands_are_in_the_readme():
    """The normative command lines of DESIGN §5 (with their options) are in the README."""
    for text in ("units add CODE NAME [--parent CODE]", "units import FILE.csv",
                 "--password-stdin", "users token USERNAME", "--role admin\\|inspector\\|unit\\|viewer"):
        assert text in README


CHECKLISTS_DOC = read(DOCS / "checklists.md")


@pytest.mark.parametrize("ctype", CRITERION_TYPES)
def test_every_criterion_type_is_documented(ctype):
    assert f"| `{ctype}` |" in CHECKLISTS_DOC, f"add {ctype} to the type table of docs/checklists.md"
    headings = re.findall(r"^### (.+)$", CHECKLISTS_DOC, re.MULTILINE)
    assert any(re.match(rf"{ctype}\b", h) or f" {ctype}" in h or h.startswith(f"{ctype} ")
               for h in headings), f"add an example of {ctype} to docs/checklists.md §6"


@pytest.mark.parametrize("name", ["settings.md", "security.md", "deployment.md", "checklists.md"])
def test_docs_are_linked_from_the_readme(name):
    assert f"(docs/{name})" in README


def test_relative_links_in_docs_resolve():
    problems = []
    for path in [ROOT / "README.md", *DOCS.glob("*.md")]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", read(path)):
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (path.parent / target).exists():
                problems.append(f"{path.relative_to(ROOT)}: {target}")
    assert not problems


def test_security_doc_names_every_role():
    from inspect_app.domain.models import ROLES

    text = read(DOCS / "security.md")
    for role in ROLES:
        assert role in text
