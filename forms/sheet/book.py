"""The workbook of a checklist sheet, opened only after the checks that need no row:
not macro-enabled, really an XLSX, not unpacking to more than a checklist can hold."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

MAX_UNPACKED_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class SheetProblem:
    """One problem, where a person finds it: sheet, row (as Excel numbers it), column."""

    sheet: str | None
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = "".join(filter(None, [self.sheet and f"「{self.sheet}」页",
                                      self.row and f"第{self.row}行",
                                      self.column and f"「{self.column}」列"]))
        return f"{where}：{self.message}" if where else self.message

    def as_dict(self) -> dict:
        return {"sheet": self.sheet, "row": self.row, "column": self.column,
                "message": self.message}


class SheetRefused(ValueError):
    """The workbook cannot be read at all (macros, size, not an XLSX)."""

    def __init__(self, problem: SheetProblem):
        self.problems = [problem]
        super().__init__(str(problem))


def open_book(filename: str, data: bytes):
    """The workbook in read-only mode, after the checks that need no row (module doc)."""
    from openpyxl import load_workbook

    if filename.lower().endswith((".xlsm", ".xltm", ".xlsb", ".xls")):
        raise SheetRefused(SheetProblem(None, None, None,
                                        "不接受含宏或旧格式的工作簿，请另存为 .xlsx 后上传"))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            types = archive.read("[Content_Types].xml") if "[Content_Types].xml" in archive.namelist() else b""
    except (zipfile.BadZipFile, ValueError, KeyError):
        raise SheetRefused(SheetProblem(None, None, None, "不是可读取的 .xlsx 文件")) from None
    if any("vbaproject" in info.filename.lower() for info in infos) or b"macroEnabled" in types:
        raise SheetRefused(SheetProblem(None, None, None,
                                        "工作簿含有宏（VBA），不予接受；请另存为不含宏的 .xlsx"))
    unpacked = sum(info.file_size for info in infos)
    if unpacked > MAX_UNPACKED_BYTES:
        raise SheetRefused(SheetProblem(None, None, None,
                                        f"工作簿解压后过大（{unpacked // 1048576} MB），检查表不会这么大"))
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds for a file that is not XLSX
        raise SheetRefused(SheetProblem(None, None, None, "不是可读取的 .xlsx 文件")) from None
