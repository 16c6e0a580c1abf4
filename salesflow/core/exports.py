"""One export routine for every list: xlsx or csv of the current filtered queryset.

* Cells beginning with = + - @, a tab or a carriage return are prefixed with an apostrophe so
  that a spreadsheet never runs them as a formula (CSV/formula injection).
* The caller passes columns as ``(header, getter)``; getters receive the row and return the
  value to show (already masked where the user may not see contact details).
* Exports that contain personal data are written to the audit log with the row count.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable, Iterable
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header

from .audit import audit

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MAX_EXPORT_ROWS = 100_000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Column = tuple[str, Callable]


def neutralise(value):
    """Make a cell value safe for a spreadsheet; numbers and dates stay typed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None)
    if isinstance(value, datetime.date):
        return value
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def _rows(queryset: Iterable, columns: list[Column]):
    for count, obj in enumerate(
        queryset.iterator(chunk_size=2000) if hasattr(queryset, "iterator") else queryset
    ):
        if count >= MAX_EXPORT_ROWS:
            break
        yield [neutralise(getter(obj)) for _header, getter in columns]


def build_xlsx(rows: Iterable[list], headers: list[str], sheet_title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31] or "Sheet1")
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=str(header))
        cell.font = Font(bold=True)
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def build_csv(rows: Iterable[list], headers: list[str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([str(h) for h in headers])
    for row in rows:
        # ``neutralise`` already made datetimes naive local time.
        writer.writerow(
            [v.strftime("%Y-%m-%d %H:%M") if isinstance(v, datetime.datetime) else v for v in row]
        )
    # UTF-8 with BOM: Excel on Chinese Windows opens it without mojibake.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def export_response(
    *,
    user,
    queryset,
    columns: list[Column],
    fmt: str,
    filename: str,
    object_type: str,
    personal_data: bool,
    filters: dict | None = None,
) -> HttpResponse:
    """The download of ``queryset`` as xlsx or csv; the caller has checked the export right
    and built the queryset from a scope-restricted selector."""
    headers = [str(header) for header, _getter in columns]
    rows = list(_rows(queryset, columns))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        body, content_type, ext = build_csv(rows, headers), "text/csv; charset=utf-8", "csv"
    else:
        body, content_type, ext = build_xlsx(rows, headers, filename), XLSX_TYPE, "xlsx"
    audit(
        actor=user,
        action=f"{object_type}.export",
        object_repr=f"{filename}.{ext}",
        message=f"{len(rows)} rows"
        + ("; personal data" if personal_data else "")
        + (f"; filters={filters}" if filters else ""),
    )
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{filename}-{stamp}.{ext}"
    )
    return response
