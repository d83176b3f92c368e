"""CSV files for people who open them in a spreadsheet: one way for every CSV the product writes.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to Excel, LibreOffice
and Google Sheets ("CSV injection": a customer named `=HYPERLINK(…)` runs on the marketer's machine). Such
a cell is written with a leading apostrophe, which spreadsheets show as text and do not display.

A plain number is not a formula, even with a sign: "-0.0089" (a change on the dashboard) and
"+79298368761" (a phone in E.164) are written as they are, so that a spreadsheet reads them as numbers
and nothing shows a stray apostrophe. Plain means: an optional sign, ASCII digits, at most one decimal
point with digits after it, nothing else ("-2+3", "+1 (912)", "-1e5" are still guarded).
"""

import csv
import re
from collections.abc import Iterable

from django.http import StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A negative machine value (a change "-0.0089", a balance "-50") is a number, not a formula. A leading "+"
# stays guarded: our values never carry one, and a phone "+79…" must stay text (a spreadsheet would make it
# the number 79… and drop the "+").
PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def csv_safe_cell(value: object) -> object:
    """`value` as it may be written to a CSV cell: text that a spreadsheet would run is prefixed with "'".
    Numbers (int, Decimal) are kept as they are: a negative balance stays a number; so is text that is a
    plain number, negative or not ("-0.0089"; PLAIN_NUMBER, matched whole). "+79298368761" is written as
    text ("'+79298368761"), so that the phone keeps its "+"."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(rows: Iterable[Iterable[object]], *, filename: str) -> StreamingHttpResponse:
    """A streamed CSV download (UTF-8) of `rows`, every text cell made safe by `csv_safe_cell`."""
    writer = csv.writer(_Echo())
    lines = (writer.writerow([csv_safe_cell(cell) for cell in row]) for row in rows)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
