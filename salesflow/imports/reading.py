"""Reading spreadsheets: .xlsx and .xls (python-calamine), .csv in UTF-8, UTF-8 with BOM or
GBK/GB18030; the header row is found among the first rows; cell values are normalised (trimmed,
full-width digits and letters made half-width, whole floats made integers, Excel dates kept as
dates)."""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass

from django.utils.translation import gettext as _

from salesflow.core.errors import DomainError

HEADER_SCAN_ROWS = 10
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"
# Full-width ASCII (！ to ～) and the ideographic space map onto their half-width forms.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


class UnreadableFile(DomainError):
    def __init__(self, message):
        super().__init__(message, code="unreadable")


@dataclass
class Table:
    """The rows of the first sheet, every value normalised; ``encoding`` for CSV files."""

    rows: list[list]
    kind: str  # xlsx | xls | csv
    encoding: str = ""


def normalise(value):
    """One cell: text trimmed and half-width, whole floats as int, midnight datetimes as dates."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.translate(_FULL_WIDTH).strip()
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, datetime.datetime):
        return value.date() if value.time() == datetime.time(0) else value
    if isinstance(value, datetime.timedelta):  # a time-only cell
        return str(value)
    return value


def detect_kind(data: bytes) -> str:
    """From the content, not the file name."""
    if data.startswith(ZIP_MAGIC):
        return "xlsx"
    if data.startswith(OLE_MAGIC):
        return "xls"
    if b"\x00" in data[:4096]:
        raise UnreadableFile(_("无法识别的文件格式：请上传 .xlsx、.xls 或 .csv 文件。"))
    return "csv"


def decode_text(data: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM) first; otherwise GB18030, the superset of GBK and GB2312."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise UnreadableFile(_("无法识别文件编码：请另存为 UTF-8 或 GBK 编码的 CSV。"))


def _csv_rows(text: str) -> list[list]:
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;|")
    except csv.Error:
        dialect = csv.excel
    return [[normalise(v) for v in row] for row in csv.reader(io.StringIO(text), dialect)]


def _sheet_rows(data: bytes) -> list[list]:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0)
        raw = sheet.to_python(skip_empty_area=False)
    except (CalamineError, ValueError, OSError) as exc:
        raise UnreadableFile(_("无法读取表格文件：%(err)s") % {"err": exc}) from None
    return [[normalise(v) for v in row] for row in raw]


def read_table(data: bytes) -> Table:
    kind = detect_kind(data)
    if kind == "csv":
        text, encoding = decode_text(data)
        rows = _csv_rows(text)
    else:
        rows, encoding = _sheet_rows(data), ""
    # Trailing empty rows say nothing; inner empty rows are skipped by the engine.
    while rows and all(v == "" for v in rows[-1]):
        rows.pop()
    return Table(rows=rows, kind=kind, encoding=encoding)


def header_key(text) -> str:
    """How a header cell is compared with the known names: case, spaces, punctuation ignored."""
    text = normalise(str(text)).lower()
    return "".join(ch for ch in text if ch.isalnum())


def detect_header_row(rows: list[list], known: set[str]) -> int:
    """The index of the first row within the first ten that matches the most known header
    names (compared with ``header_key``); the first non-empty row when none matches."""
    best, best_hits = None, 0
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        hits = sum(1 for v in row if v != "" and header_key(v) in known)
        if hits > best_hits:
            best, best_hits = index, hits
    if best is not None:
        return best
    return next((i for i, row in enumerate(rows) if any(v != "" for v in row)), 0)
