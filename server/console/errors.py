"""Errors on console pages: the same domain errors as the API, shown as a page.

The request wrapper has already rolled back by the time these run, so a refused action
leaves nothing behind.
"""

from __future__ import annotations

from flask import render_template
from marshmallow import ValidationError

from server.console.blueprint import bp
from server.errors import DomainError


@bp.errorhandler(DomainError)
def _domain(exc: DomainError):
    return render_template("console/error.html", status=exc.status, code=exc.code,
                           message=exc.message, details=exc.details), exc.status


@bp.errorhandler(ValidationError)
def _invalid(exc: ValidationError):
    messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
    return render_template("console/error.html", status=422, code="validation_error",
                           message="The form has invalid fields. 表单填写有误。",
                           details=messages), 422
