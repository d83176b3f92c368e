"""Reading the uploaded file: its encoding (UTF-8 or Windows-1251), delimiter, header and rows.

The file is read as a stream, twice: a first pass checks the header and every record's shape and counts
the rows (storing only their spreadsheet numbers); `CsvRows.chunks` then reads it again, a chunk of rows
at a time, for the per-row checks. No copy of the whole file as text or as rows is ever held.
"""

import codecs
import csv
import io
from array import array
from collections import Counter
from collections.abc import Iterator

from django.utils.translation import gettext as _

from .results import (
    COLUMNS,
    MAX_COLUMNS,
    MAX_STORED_PROBLEMS,
    REQUIRED_COLUMNS,
    Problem,
    file_too_large,
    import_limits,
)


def _encoding(content: bytes) -> str | None:
    """UTF-8 (with or without a BOM), else Windows-1251 ("CSV" saved by Excel on a Russian-locale
    Windows), else None. Decoded incrementally: the text of the whole file is never held."""
    for encoding in ("utf-8-sig", "cp1251"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for start in range(0, len(content), DECODE_BLOCK):
                decoder.decode(content[start : start + DECODE_BLOCK])
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    return None


DECODE_BLOCK = 1 << 20


def _delimiter(first_line: str) -> str:
    """Comma, or the semicolon (Excel in locales with a decimal comma) or tab, whichever the header uses."""
    return max((",", ";", "\t"), key=first_line.count)


class CsvRows:
    """The data rows of a checked file, read again on demand: `len()` rows, their spreadsheet numbers in
    `row_numbers` (an array of 4-byte integers, not a list of objects), the known column names in
    `headers`, `shape_problem_rows` (how many rows were set aside for their shape: too many values), and
    `chunks(size)` yielding lists of tuples."""

    def __init__(
        self,
        *,
        content: bytes,
        encoding: str,
        delimiter: str,
        names: list[str],
        row_numbers: array,
        shape_problem_rows: int = 0,
    ):
        self.content, self.encoding, self.delimiter = content, encoding, delimiter
        self.known = [(index, name) for index, name in enumerate(names) if name]
        self.headers = [name for _index, name in self.known]
        self.row_numbers = row_numbers
        self.shape_problem_rows = shape_problem_rows

    def __len__(self) -> int:
        return len(self.row_numbers)

    def chunks(self, size: int) -> Iterator[list[tuple[str, ...]]]:
        """The rows `row_numbers` name, in order, `size` at a time, as tuples of the known columns."""
        wanted = iter(self.row_numbers)
        next_row = next(wanted, None)
        chunk: list[tuple[str, ...]] = []
        reader = _reader(self.content, self.encoding, self.delimiter)
        next(reader, None)  # the header
        for row_number, record in enumerate(reader, start=2):
            if row_number != next_row:
                continue
            chunk.append(tuple(record[index] if index < len(record) else "" for index, _name in self.known))
            next_row = next(wanted, None)
            if len(chunk) == size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk


def _reader(content: bytes, encoding: str, delimiter: str):
    return csv.reader(io.TextIOWrapper(io.BytesIO(content), encoding=encoding, newline=""), delimiter=delimiter)


def csv_read(content: bytes) -> tuple[CsvRows | None, list[Problem]]:
    """The file's data rows (a `CsvRows`, read again chunk by chunk) and the problems found in the file
    and in the shape of its rows (no rows when the file itself has a problem: too big, not text, a bad
    header, too many rows). Blank lines are skipped. Of the rows' shape problems only the first
    MAX_STORED_PROBLEMS are kept; `CsvRows.shape_problem_rows` counts them all."""
    limits = import_limits()
    if len(content) > limits.max_bytes:
        return None, [Problem(1, "", file_too_large(limits.max_bytes))]
    if b"\x00" in content:
        return None, [Problem(1, "", _("The file contains NUL bytes: it is not a text CSV (a spreadsheet file?)."))]
    encoding = _encoding(content)
    if encoding is None:
        return None, [Problem(1, "", _("The file is not text in UTF-8 (or Windows-1251) encoding."))]
    first_line = next(io.TextIOWrapper(io.BytesIO(content), encoding=encoding, newline=""), "").split("\n", 1)[0]
    delimiter = _delimiter(first_line)
    reader = _reader(content, encoding, delimiter)
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            return None, [Problem(1, "", _("The file is empty: the first row must name the columns."))]
        if len(header) > MAX_COLUMNS:
            return None, [
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
            return None, problems
        row_numbers = array("I")
        shape_problem_rows = 0
        for row_number, record in enumerate(reader, start=2):
            if not any(cell.strip() for cell in record):
                continue
            if len(row_numbers) + shape_problem_rows >= limits.max_rows:
                return None, [
                    Problem(
                        row_number, "", _("The file has more than %(n)s customers; split it into several files.")
                        % {"n": f"{limits.max_rows:,}".replace(",", " ")},
                    )
                ]  # fmt: skip
            if len(record) > MAX_COLUMNS:
                shape_problem_rows += 1
                if len(problems) < MAX_STORED_PROBLEMS:
                    problems.append(
                        Problem(row_number, "", _("This row has more values than there are named columns."))
                    )
                continue
            extra = [cell for index, cell in enumerate(record) if (index >= len(names) or not names[index])]
            if any(cell.strip() for cell in extra):
                shape_problem_rows += 1
                if len(problems) >= MAX_STORED_PROBLEMS:
                    continue
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
            row_numbers.append(row_number)
    except csv.Error as exc:
        return None, [Problem(reader.line_num, "", _("The file is not a readable CSV: %(error)s") % {"error": exc})]
    if not row_numbers and not problems:
        problems.append(Problem(2, "", _("The file has no customers: only the header row.")))
    rows = CsvRows(
        content=content,
        encoding=encoding,
        delimiter=delimiter,
        names=names,
        row_numbers=row_numbers,
        shape_problem_rows=shape_problem_rows,
    )
    return rows, problems
