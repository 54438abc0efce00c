"""Form and query-string parsing with marshmallow schemas (the console's `@arguments`).

HTML forms send every value as a string and repeat a name for multi-valued fields; this
collects exactly the schema's fields (lists from repeated names, empty inputs dropped)
and refuses names the schema does not know, like the API's unknown=RAISE.
"""

from __future__ import annotations

from marshmallow import Schema, fields

from server import text
from server.errors import Invalid

_TRANSPORT = frozenset({"csrf_token"})


def parse(schema: Schema, source) -> dict:
    data, known = {}, set(_TRANSPORT)
    for name, field in schema.fields.items():
        if field.dump_only:
            continue
        key = field.data_key or name
        known.add(key)
        if isinstance(field, fields.List):
            values = [v for v in source.getlist(key) if v.strip() != ""]
            if values:
                data[key] = values
        else:
            value = source.get(key)
            if value is not None and value.strip() != "":
                data[key] = value.strip()
    unknown = sorted(set(source.keys()) - known)
    if unknown:
        raise Invalid(details={k: ["Unknown field."] for k in unknown})
    _check_text(data)
    return schema.load(data)


def _check_text(data: dict) -> None:
    """The API's rule for text (server.text) holds for forms too: a browser form can send
    control characters (%01), which would be stored and break the ledger's XLSX."""
    for key, value in data.items():
        for item in value if isinstance(value, list) else [value]:
            message = text.describe(item)
            if message is not None:
                raise Invalid("The form has invalid fields. 表单填写有误。",
                              details={key: [message]})
