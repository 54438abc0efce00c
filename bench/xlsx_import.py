"""Peak memory of reading a hostile site file: the XLSX of issue 19, finding 4.

Run: .venv/bin/python -m bench.xlsx_import [--rows 15000] [--compare REV]

The file: ~110 KB of XLSX holding a cell in column A and one in column XFD (the last,
16,384th) on each of 15,000 rows; `--no-dimension` leaves out the sheet's <dimension>
element, so nothing warns the reader before the rows. Each measurement runs in a child
process: it migrates a fresh SQLite database, then reads the file as the console's import
preview does (`site_file_text`, then `check_site_rows`) and prints the peak resident set
(ru_maxrss) before and after, and the outcome. With --compare REV the same runs on that
revision's code (git archive into a temporary directory). Asserts nothing.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>")
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>")
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="sites" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>")


def attack_xlsx(rows: int = 15_000, *, dimension: bool = True, last: str = "XFD") -> bytes:
    """An XLSX with a number in column A and in column `last` of every row."""
    parts = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">']
    if dimension:
        parts.append(f'<dimension ref="A1:{last}{rows}"/>')
    parts.append("<sheetData>")
    parts += [f'<row r="{n}"><c r="A{n}"><v>1</v></c><c r="{last}{n}"><v>1</v></c></row>'
              for n in range(1, rows + 1)]
    parts.append("</sheetData></worksheet>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        z.writestr("xl/worksheets/sheet1.xml", "".join(parts))
    return out.getvalue()


def measure(rows: int, dimension: bool) -> dict:
    """In this (child) process: read the file as the import preview does."""
    from bench._syncbase import Workdir, fresh_database, make_app

    data = attack_xlsx(rows, dimension=dimension)
    with Workdir() as work:
        app = make_app(fresh_database("sqlite", work), work)
        with app.app_context():
            from server.errors import DomainError
            from server.extensions import db
            from server.sites import service

            reader = getattr(service, "site_file_text", None)
            if reader is None:
                from server.sites.files import site_file_text as reader
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            started = time.perf_counter()
            try:
                text = reader("sites.xlsx", data)
                check = service.check_site_rows(db.session, text, None)
                outcome = f"read: {len(text)} chars, {len(check.errors)} row errors"
            except DomainError as exc:
                outcome = f"refused {exc.status} {exc.code}"
            seconds = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            db.session.remove()
    return {"file_bytes": len(data), "rss_before_kb": before, "rss_peak_kb": after,
            "seconds": seconds, "outcome": outcome}


def _export(rev: str, into: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], check=True,
                             capture_output=True).stdout
    (into / "tree.tar").write_bytes(archive)
    with tarfile.open(into / "tree.tar") as tar:
        tar.extractall(into / "tree", filter="data")
    # The other revision predates this module: it measures with this one.
    (into / "tree" / "bench" / "xlsx_import.py").write_text(Path(__file__).read_text())
    return into / "tree"


def _run_child(tree: Path, rows: int, dimension: bool) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree))
    out = subprocess.run([sys.executable, "-m", "bench.xlsx_import", "--child", str(rows),
                          *([] if dimension else ["--no-dimension"])],
                         cwd=tree, env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench.xlsx_import")
    parser.add_argument("--rows", type=int, default=15_000)
    parser.add_argument("--compare", metavar="REV", default=None)
    parser.add_argument("--no-dimension", action="store_true")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        print(json.dumps(measure(args.child, not args.no_dimension)))
        return
    with tempfile.TemporaryDirectory(prefix="xuncha-bench-rev-") as tmp:
        sides = {"this tree": ROOT}
        if args.compare:
            head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short",
                                   args.compare], check=True, capture_output=True,
                                  text=True).stdout.strip()
            sides = {f"rev {head}": _export(args.compare, Path(tmp)), "this tree": ROOT}
        print(f"\nsite import preview of a {args.rows}-row XLSX with cells in columns A and "
              f"XFD ({'no <dimension>' if args.no_dimension else 'declared A1:XFD'})")
        print(f"{'code':<14} {'file KB':>8} {'RSS before MB':>14} {'peak RSS MB':>12} "
              f"{'seconds':>8}  outcome")
        for name, tree in sides.items():
            r = _run_child(tree, args.rows, not args.no_dimension)
            print(f"{name:<14} {r['file_bytes'] / 1024:>8.0f} {r['rss_before_kb'] / 1024:>14.0f} "
                  f"{r['rss_peak_kb'] / 1024:>12.0f} {r['seconds']:>8.1f}  {r['outcome']}")


if __name__ == "__main__":
    main(sys.argv[1:])
