"""`xuncha verify-audit`: the chain, its anchored head and the content seals, together.

Everything is checked first; only when all of it holds are the rows written since the
last seal sealed and the new head anchored (so a tampered state is never anchored over).
"""

from __future__ import annotations

from server import audit
from server.audit import anchor, seals


def run(app, session) -> tuple[bool, list[str]]:
    """(everything verifies, the lines to print)."""
    lines: list[str] = []
    ok = True
    chain = audit.verify(session)
    if chain.ok:
        lines.append(f"audit chain intact: {chain.checked} entries")
    else:
        ok = False
        lines.append(f"audit chain broken at seq {chain.first_bad_seq}: {chain.reason} "
                     f"({chain.checked} entries before it are intact)")
    try:
        anchored = anchor.read(app)
    except anchor.Forged as exc:
        ok, anchored = False, None
        lines.append(f"anchored head: {exc}")
    if anchored is not None:
        problem = anchor.compare(session, anchored)
        if problem:
            ok = False
            lines.append(f"anchored head: {problem}")
        else:
            lines.append(f"anchored head {anchored} ({anchored.reason}, {anchored.at}): reached")
    findings = seals.verify(session)
    ok = ok and not findings
    lines += [f"sealed content: {f}" for f in findings[:50]]
    if len(findings) > 50:
        lines.append(f"sealed content: … {len(findings) - 50} more")
    if ok:
        sealed = seals.seal(session)
        session.commit()
        if sealed:
            lines.append("sealed now: " + ", ".join(f"{n} {seals.NAMES[k]}(s)"
                                                    for k, n in sealed.items()))
        head = anchor.write(app, anchor.current(session), "verify-audit")
        lines.append(f"head: {head} — anchored in {anchor.path_for(app)}; note it, or "
                     "compare it with the latest backup's manifest")
    else:
        lines.append(f"head: {anchor.current(session)} (not anchored: fix the above first)")
    return ok, lines
