"""Reading the uploaded file: its encoding (UTF-8 or Windows-1251), delimiter, header and rows."""

import csv
import io
from collections import Counter

import tablib
from django.utils.translation import gettext as _

from .results import COLUMNS, MAX_COLUMNS, REQUIRED_COLUMNS, Problem, file_too_large, import_limits


def _decode(content: bytes) -> str | None:
    for encoding in ("utf-8-sig", "cp1251"):  # cp1251: "CSV" saved by Excel on a Russian-locale Windows
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _delimiter(first_line: str) -> str:
    """Comma, or the semicolon (Excel in locales with a decimal comma) or tab, whichever the header uses."""
    return max((",", ";", "\t"), key=first_line.count)


def csv_read(content: bytes) -> tuple[tablib.Dataset | None, list[int], list[Problem]]:
    """The file as a Dataset of the known columns, the spreadsheet row number of each data row, and
    file-level problems (no Dataset when there are any). Blank lines are skipped."""
    limits = import_limits()
    if len(content) > limits.max_bytes:
        return None, [], [Problem(1, "", file_too_large(limits.max_bytes))]
    if b"\x00" in content:
        return None, [], [Problem(1, "", _("The file contains NUL bytes: it is not a text CSV (a spreadsheet file?)."))]
    text = _decode(content)
    if text is None:
        return None, [], [Problem(1, "", _("The file is not text in UTF-8 (or Windows-1251) encoding."))]
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line))
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            return None, [], [Problem(1, "", _("The file is empty: the first row must name the columns."))]
        if len(header) > MAX_COLUMNS:
            return None, [], [
                Problem(
                    1, "", _("The first row has %(n)s columns; a customer file has at most %(max)s.")
                    % {"n": len(header), "max": MAX_COLUMNS},
                )
            ]  # fmt: skip
        names = [cell.strip().lower() for cell in header]
        problems = []
        for name in names:
            if name and name not in COLUMNS:
                problems.append(
                    Problem(
                        1,
                        name,
                        _("Unknown column “%(column)s”. The columns are: %(columns)s.")
                        % {"column": name, "columns": ", ".join(COLUMNS)},
                    )
                )
        for name in sorted(n for n, count in Counter(names).items() if n and count > 1):
            problems.append(Problem(1, name, _("The column “%(column)s” appears twice.") % {"column": name}))
        for name in REQUIRED_COLUMNS:
            if name not in names:
                problems.append(Problem(1, name, _("The file has no “%(column)s” column.") % {"column": name}))
        if problems:
            return None, [], problems
        known = [(index, name) for index, name in enumerate(names) if name]
        data, row_numbers = [], []
        for row_number, record in enumerate(reader, start=2):
            if not any(cell.strip() for cell in record):
                continue
            if len(data) >= limits.max_rows:
                return None, [], [
                    Problem(
                        row_number, "", _("The file has more than %(n)s customers; split it into several files.")
                        % {"n": f"{limits.max_rows:,}".replace(",", " ")},
                    )
                ]  # fmt: skip
            if len(record) > MAX_COLUMNS:
                problems.append(Problem(row_number, "", _("This row has more values than there are named columns.")))
                continue
            extra = [cell for index, cell in enumerate(record) if (index >= len(names) or not names[index])]
            if any(cell.strip() for cell in extra):
                problems.append(
                    Problem(
                        row_number,
                        "",
                        _(
                            "This row has more values than there are named columns "
                            "(a separator inside a value that is not in quotes?)."
                        ),
                    )
                )
                continue
            data.append(tuple(record[index] if index < len(record) else "" for index, _name in known))
            row_numbers.append(row_number)
    except csv.Error as exc:
        return None, [], [Problem(reader.line_num, "", _("The file is not a readable CSV: %(error)s") % {"error": exc})]
    if not data and not problems:
        problems.append(Problem(2, "", _("The file has no customers: only the header row.")))
    dataset = tablib.Dataset(*data, headers=[name for _index, name in known])
    return dataset, row_numbers, problems
