"""Extensions, created unbound and bound in create_app with init_app; the app's blob store."""

import threading

from flask import current_app
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so Alembic migrations are the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()

_STORE_LOCK = threading.Lock()


def blobstore():
    """The app's blob store (photos, signatures): one per app, in
    `app.extensions["xuncha"]["blobstore"]`. Views hand it to the evidence services.

    Made on first use, not in `create_app` (the factory does no I/O). That first use in
    each process is also when crash orphans are swept ("at start"): every web worker
    sweeps once, which is safe with several workers because the sweep only removes
    temporary files older than the store's grace period and abandoned uploads.
    """
    from server.evidence.filestore import FilesystemBlobStore

    holder = current_app.extensions.setdefault("xuncha", {})
    store = holder.get("blobstore")
    if store is None:
        with _STORE_LOCK:
            store = holder.get("blobstore")
            if store is None:
                store = FilesystemBlobStore(current_app.config["BLOB_DIR"],
                                            max_size=current_app.config["MAX_CONTENT_LENGTH"])
                store.sweep_orphans()
                holder["blobstore"] = store
    return store


def register_settings():
    """The register's settings (`server.register.settings.RegisterSettings`) made from the
    app's configuration, for a view or a job to hand to the services."""
    from server.register.settings import RegisterSettings

    return RegisterSettings.from_config(current_app.config)
