"""The console's blueprint, in a module of its own: the view modules attach their routes
to it, and `register_console` imports them and registers it (no view imports the package
that imports it)."""

from flask import Blueprint

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates",
               static_folder="static", static_url_path="/static")
