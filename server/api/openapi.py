"""The OpenAPI document, generated from the schemas the views actually use."""

from __future__ import annotations

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask

from server.schemas.sync import MutationResultSchema

_PATH_PARAM = re.compile(
    r"<(?:(?P<conv>[a-z]+)(?:\((?P<conv_args>[^)]*)\))?:)?(?P<name>[a-zA-Z_]+)>")
_CONVERTER_TYPES = {"uuid": {"type": "string", "format": "uuid"}, "int": {"type": "integer"}}

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {
        "type": "object", "required": ["code", "message", "details"],
        "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                       "details": {"type": "object"}}}},
}


def build_spec(app: Flask) -> dict:
    spec = APISpec(title="xuncha API", version="1", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()],
                   info={"description": "Field inspection, sync and hazard register API "
                                        "(see design/API-CONTRACT.md)."})
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", ERROR_SCHEMA)
    # Served as built by the push engine (server.schemas.sync.PushResponseSchema).
    spec.components.schema("MutationResult", schema=MutationResultSchema)
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.endpoint.startswith("api_v1."):
            continue
        view = app.view_functions[rule.endpoint]
        info = getattr(view, "_apidoc", {})
        path = _PATH_PARAM.sub(lambda m: "{" + m.group("name") + "}", rule.rule)
        params = [{"in": "path", "name": m.group("name"), "required": True,
                   "schema": _param_schema(m)} for m in _PATH_PARAM.finditer(rule.rule)]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(info, params, rule.endpoint)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def _param_schema(match: re.Match) -> dict:
    if match.group("conv") == "any":
        choices = [c.strip().strip("'\"") for c in (match.group("conv_args") or "").split(",")]
        return {"type": "string", "enum": [c for c in choices if c]}
    return _CONVERTER_TYPES.get(match.group("conv") or "", {"type": "string"})


def _operation(info: dict, path_params: list, endpoint: str) -> dict:
    op: dict = {"operationId": endpoint.replace("api_v1.", "").replace(".", "_"),
                "summary": info.get("summary", ""), "tags": info.get("tags", []),
                "parameters": list(path_params), "responses": {}}
    if info.get("description"):
        op["description"] = info["description"]
    if info.get("security"):
        op["security"] = [{"bearer": []}]
    if "arguments" in info:
        schema, location = info["arguments"]
        if location == "json":
            op["requestBody"] = {"required": True,
                                 "content": {"application/json": {"schema": schema}}}
        else:
            op["parameters"].append({"in": "query", "schema": schema})
    for status, (schema, description) in info.get("responses", {}).items():
        entry: dict = {"description": description or "OK"}
        if schema is not None and status != 204:
            entry["content"] = {"application/json": {"schema": schema}}
        op["responses"][str(status)] = entry
    if not op["responses"]:
        op["responses"]["200"] = {"description": "OK"}
    error_ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    codes = ", ".join(info.get("errors", []))
    op["responses"]["default"] = {
        "description": "Error" + (f" (codes: {codes})" if codes else ""), "content": error_ref}
    return op
