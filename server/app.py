"""The application factory."""

from __future__ import annotations

import os

from flask import Flask, request

import forms
from server import config as config_module
from server.api.errors import register_error_handlers
from server.database import configure_engine, set_read_only
from server.extensions import db, migrate

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                              "migrations")


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: defaults → instance config → XUNCHA_* environment → test mapping.

    No database work, no migrations and no scheduler here: `xuncha db-upgrade` migrates,
    `xuncha scheduler` runs the jobs in their own process.
    """
    instance_path = os.environ.get("XUNCHA_INSTANCE_PATH") or None
    app = Flask("server", instance_path=instance_path, instance_relative_config=True,
                static_folder=None)
    app.config.from_object(config_module.Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("XUNCHA")
    if test_config:
        app.config.from_mapping(test_config)
    config_module.finalize(app.config, app.instance_path)
    # The checklists this deployment publishes and its names for local documents; the
    # repo's checklists are the same for every app, these choices are per deployment.
    forms.configure(variants=app.config["CHECKLIST_VARIANTS"],
                    local_documents=app.config["LOCAL_DOCUMENTS"])

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True,
                     compare_type=True)
    with app.app_context():
        configure_engine(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])

    @app.before_request
    def _transaction_mode():
        # Reads begin DEFERRED, and so does a view that reads first and then calls
        # begin_write; everything else takes the SQLite write lock with its first statement.
        view = app.view_functions.get(request.endpoint)
        request.environ["xuncha.read_only_token"] = set_read_only(
            request.method in _SAFE_METHODS or getattr(view, "reads_first", False))

    @app.teardown_request
    def _reset_transaction_mode(_exc):
        token = request.environ.pop("xuncha.read_only_token", None)
        if token is not None:
            set_read_only(False)

    register_error_handlers(app)

    from server.api import register_api

    register_api(app)

    from server.pwa import bp as pwa_bp

    app.register_blueprint(pwa_bp)

    from server.console import register_console

    register_console(app)

    from server.cli import register_cli

    register_cli(app)
    return app
