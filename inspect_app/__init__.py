"""inspect_app: scored inspection and self-assessment checklists for Vietnamese communes."""
from __future__ import annotations

from typing import Any

from flask import Flask


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: settings, then extensions, then blueprints and commands."""
    from . import cli, settings, tasks
    from .storage import StoreError, open_store
    from .storage.checklist_files import ChecklistLibrary
    from .web import (
        api,
        assessments,
        assets,
        audit,
        auth,
        common,
        dashboards,
        documents,
        exports,
        fill,
        home,
        i18n,
        inspections,
        labels,
        logs,
        notifications,
        province,
        pwa,
        qr,
        rankings,
        remediation,
        units,
        users,
    )
    from .web import checklists as checklist_views

    app = logs.App(__name__, instance_relative_config=True)
    settings.configure(app, test_config)
    logs.init_app(app)

    try:
        app.extensions["store"] = open_store(app.config["DATA_DIR"], app.config["DATABASE_URL"],
                                             pool_size=app.config["DATABASE_POOL_SIZE"])
    except StoreError as exc:  # the database is unreachable, or of a newer schema
        app.logger.critical("cannot open the store: %s", exc)
        raise SystemExit(f"inspect_app: {exc}") from None
    tasks.init_app(app)
    app.extensions["checklists"] = ChecklistLibrary(app.config["CHECKLISTS_DIR"],
                                                    app.extensions["store"])
    i18n.init_app(app)
    common.init_app(app)
    assets.init_app(app)
    pwa.init_app(app)
    auth.init_app(app)

    for module in (checklist_views, inspections, fill, assessments, remediation, documents, qr,
                   notifications, units, users, province, rankings, dashboards, exports, api,
                   pwa, audit):
        app.register_blueprint(module.bp)
    app.register_blueprint(users.account_bp)
    app.add_url_rule("/", endpoint="index", view_func=home.index)
    app.context_processor(lambda: labels.labels_context(app))
    cli.register(app)
    return app
