"""A hazard's timeline read as sentences: what each event says beyond its name, in the
console's language, with the vocabulary's terms (never an event's raw data)."""

from __future__ import annotations

from server.console.i18n import label, lang, translate

_PLAN_FIELDS = {"measures": "整改措施", "deadline": "整改期限", "responsible_name": "整改责任人",
                "responsible_phone": "电话"}


def _pair(name: str, value) -> str:
    sep = ": " if lang() == "en" else "："
    return f"{translate(name)}{sep}{value}"


def _basis(standard) -> str:
    if not isinstance(standard, dict) or not standard.get("name"):
        return ""
    name = standard["name"]
    shown = name if name.startswith("《") or lang() == "en" else f"《{name}》"
    return _pair("判定依据", f"{shown}{standard.get('clause') or ''}")


def details(event) -> list[str]:
    """The parts of the sentence after the event's name and actor."""
    data = event.data or {}
    kind = event.type
    out: list[str] = []
    if kind == "found":
        out += [data.get("description") or "", _basis(data.get("standard"))]
        if data.get("severity"):
            out.append(label("severity", data["severity"]))
    elif kind == "planned":
        fields = data.get("fields") or {}
        out += [_pair(_PLAN_FIELDS[k], v) for k, v in fields.items() if k in _PLAN_FIELDS and v]
    elif kind in ("listed", "listing_proposed"):
        out.append(label("level", data.get("level")))
        out.append(data.get("why") or "")
    elif kind == "stop_work_ordered":
        out.append(_pair("文书编号", data.get("order_no") or ""))
    elif kind in ("delisted", "stop_work_lifted", "reopened", "supplier_clue_confirmed",
                  "supplier_clue_dismissed"):
        out.append(_pair("理由", data.get("reason") or ""))
    elif kind == "severity_set":
        out += [label("severity", data.get("severity")), _pair("理由", data.get("reason") or "")]
    elif kind == "overdue_flagged":
        out.append(_pair("期限", data.get("deadline") or ""))
    elif kind == "comment":
        out.append(data.get("text") or "")
    elif kind == "conflict":
        out.append(translate("冲突"))
    out.append(data.get("note") or "")
    return [part for part in out if part]


def sentence(event) -> str:
    return " · ".join(details(event))
