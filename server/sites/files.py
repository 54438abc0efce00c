"""The text of an uploaded site file, read within bounds.

A site file is a CSV (UTF-8, or GBK as Excel saves it on Chinese Windows) or the first
sheet of an XLSX workbook; either way the importer (`server.sites.service`) reads CSV
text. An XLSX is a zip of XML: 110 KB holding cells in columns A and XFD over 15,000 rows
claims a sheet 16,384 columns wide, and reading it naively padded every row to that width
(1.57 GB resident in one worker). So the workbook is checked before any row is read: its
unpacked size, its declared width and height; then it is read in openpyxl's read-only
(streaming) mode, never more than `MAX_COLUMNS` cells per row nor `MAX_ROWS` rows, so
memory stays bounded whatever the file claims or hides.
"""

from __future__ import annotations

import csv
import io
import zipfile

from server.errors import Invalid, TooLarge

# A county's site register in one file; the importer knows 10 columns.
MAX_ROWS = 20_000
MAX_COLUMNS = 32
# What an XLSX may unpack to: 20,000 rows of 32 cells are a few MB of XML.
MAX_UNPACKED_BYTES = 64 * 1024 * 1024


def too_many_rows() -> TooLarge:
    return TooLarge(f"A site file may hold at most {MAX_ROWS} rows; split it. "
                    f"每个文件最多{MAX_ROWS}行,请分批导入。",
                    details={"file": [f"At most {MAX_ROWS} rows."], "max_rows": MAX_ROWS})


def too_many_columns(width: int) -> Invalid:
    return Invalid(f"The sheet is {width} columns wide; a site file has at most "
                   f"{MAX_COLUMNS}: delete the columns after the last one used. "
                   f"表格列数过多({width}列),最多{MAX_COLUMNS}列,请删除多余的列。",
                   details={"file": [f"At most {MAX_COLUMNS} columns, not {width}."],
                            "max_columns": MAX_COLUMNS})


def site_file_text(filename: str, data: bytes) -> str:
    """The CSV text of an uploaded site file (see the module docstring)."""
    if filename.lower().endswith(".xlsx"):
        return _xlsx_text(data)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Invalid("The file is neither UTF-8 nor GBK text.",  # pragma: no cover - gb18030
                  details={"file": ["unreadable encoding"]})    # decodes nearly anything


def _unreadable(exc: Exception) -> Invalid:
    return Invalid("Not a readable XLSX file. 无法读取该XLSX文件。",
                   details={"file": [str(exc)[:200]]})


def _xlsx_text(data: bytes) -> str:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise _unreadable(exc) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise TooLarge("The workbook unpacks to more than a site file can hold. "
                       "该XLSX文件解压后过大。",
                       details={"file": [f"Unpacks to {unpacked} bytes, at most "
                                         f"{MAX_UNPACKED_BYTES}."]})
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not XLSX
        raise _unreadable(exc) from None
    try:
        return _sheet_csv(book.worksheets[0])
    finally:
        book.close()


def _sheet_csv(sheet) -> str:
    # The sheet's own <dimension>, read before any row: refused up front when it claims
    # more than a site file holds. A file without one (or lying) is still read within
    # bounds below.
    if (sheet.max_column or 0) > MAX_COLUMNS:
        raise too_many_columns(sheet.max_column)
    if (sheet.max_row or 0) > MAX_ROWS + 1:
        raise too_many_rows()
    out = io.StringIO()
    writer = csv.writer(out)
    rows = 0
    for row in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
        values = ["" if v is None else v for v in row]
        while values and values[-1] == "":
            values.pop()
        if not values:
            continue  # a blank row (sheets often end with some)
        rows += 1
        if rows > MAX_ROWS + 1:  # the header and MAX_ROWS rows
            raise too_many_rows()
        writer.writerow(values)
    return out.getvalue()
