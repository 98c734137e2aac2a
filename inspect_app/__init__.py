"""inspect_app: scored inspection and self-assessment checklists for Vietnamese communes."""
from __future__ import annotations

from typing import Any

from flask import Flask


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: settings, then extensions, then blueprints and commands."""
    from . import cli, i18n, settings
    from .checklist_files import ChecklistLibrary
    from .web import checklists as checklist_views
    from .web import common

    app = Flask(__name__, instance_relative_config=True)
    settings.configure(app, test_config)

    i18n.init_app(app)
    common.init_app(app)
    app.extensions["checklists"] = ChecklistLibrary(app.config["CHECKLISTS_DIR"])

    app.register_blueprint(checklist_views.bp)
    app.add_url_rule("/", endpoint="index", view_func=checklist_views.index)
    cli.register(app)
    return app
