"""Two small decorators that keep handlers short and feed the OpenAPI document.

    @bp.post("/hazards/<uuid:hazard_id>/actions")
    @arguments(HazardActionSchema())
    @response(HazardSchema())
    def act(args, hazard_id): ...

`arguments` parses the JSON body (or the query string) with a marshmallow schema that
raises on unknown fields, and passes the result as the first positional argument.
`response` dumps the return value with a schema. Both record what they did on the view
function so `server.api.openapi` can describe the endpoint from the same schemas.
"""

from __future__ import annotations

import functools
import json

from flask import current_app, g, jsonify, request
from marshmallow import Schema, ValidationError

from server import text
from server.errors import BadRequest, DomainError, Invalid, TooLarge, UnsupportedMediaType


def _spec(func) -> dict:
    if not hasattr(func, "_apidoc"):
        func._apidoc = {}
    return func._apidoc


def json_body(max_bytes: int | None = None, deferred=None) -> tuple[dict, dict]:
    """The request's JSON object, or a contract error saying exactly what is wrong; and
    the problems found in its `deferred` parts ({path: problem}, see `server.text`)."""
    mimetype = request.mimetype or ""
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        raise UnsupportedMediaType("Send the body as application/json.",
                                   details={"content_type": request.content_type or ""})
    limit = max_bytes or current_app.config["MAX_JSON_BYTES"]
    if request.content_length is not None and request.content_length > limit:
        raise TooLarge(details={"limit": limit})
    raw = request.get_data(cache=True)
    if len(raw) > limit:
        raise TooLarge(details={"limit": limit})
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise BadRequest("The body is not valid JSON.", code="malformed_json",
                         details={"reason": str(exc)[:200]}) from None
    if not isinstance(body, dict):
        raise Invalid(details={"_schema": ["The body must be a JSON object."]})
    # Text that cannot be stored or shown, and absurd nesting, are refused here for every
    # endpoint (server.text). Strings are walked only when the raw body holds an escape
    # or bytes that can decode to such text (a push's is ~1.7 MB of strings).
    problem, found = text.problems(body, strings=text.raw_may_hold(raw), deferred=deferred)
    if problem is not None:
        raise Invalid(details=problem.details())
    return body, found


def arguments(schema: Schema, location: str = "json", max_bytes: int | None = None, *,
              deferred=None, defer_errors: bool = False):
    """Parse the body (or query) with `schema`.

    `deferred(path)` names the parts of a JSON body judged one by one by the view's
    service (a push's mutation args): text there that breaks `server.text`'s rule does not
    refuse the body; the loaded part is handed on as a `server.text.Refused`.
    `defer_errors`: for a view that parses before `login_required` checks the caller
    (placed outside it, so that the parse holds no database lock): a parse error is left
    in `g` for `login_required` to raise once the caller is known, so an anonymous caller
    still hears 401 first."""

    def decorator(func):
        _spec(func)["arguments"] = (schema, location)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            try:
                found = {}
                if location == "json":
                    data, found = json_body(max_bytes, deferred)
                elif location == "query":
                    data = _query_dict(schema)
                else:  # pragma: no cover - programming error
                    raise ValueError(location)
                loaded = schema.load(data)
            except (DomainError, ValidationError) as exc:
                if not defer_errors:
                    raise
                g.deferred_error, loaded = exc, None
            else:
                text.mark_deferred(loaded, found)
            return func(loaded, *args, **kwargs)

        return wrapper

    return decorator


def _query_dict(schema: Schema) -> dict:
    for key, value in request.args.items(multi=True):
        message = text.describe(key) or text.describe(value)
        if message is not None:
            raise Invalid(details={key if text.describe(key) is None else "_schema": [message]})
    out = {}
    for key in request.args:
        values = request.args.getlist(key)
        field = schema.fields.get(key)
        from marshmallow import fields as mf

        if isinstance(field, mf.List):
            out[key] = [v for value in values for v in value.split(",") if v != ""]
        else:
            out[key] = values[-1]
    return out


def response(schema: Schema | None = None, status: int = 200, description: str = ""):
    def decorator(func):
        _spec(func).setdefault("responses", {})[status] = (schema, description)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            result = func(*args, **kwargs)
            if status == 204:
                return "", 204
            headers = None
            if isinstance(result, tuple):
                result, headers = result
            resp = jsonify(schema.dump(result) if schema is not None else result)
            resp.status_code = status
            if headers:
                resp.headers.update(headers)
            return resp

        return wrapper

    return decorator


def doc(**info):
    """Extra OpenAPI facts for a view: summary, description, tags, security, error codes."""

    def decorator(func):
        _spec(func).update(info)
        return func

    return decorator
