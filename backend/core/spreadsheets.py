"""CSV exports staff open in Excel: one way to write a file, a cell and the answer."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from litestar import Response

from backend.core.responses import Answer

# A leading character that makes a spreadsheet read a cell as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(text: str | None) -> str:
    """Text a resident typed, kept text: a name typed as "=HYPERLINK(…)" must not become a
    formula when staff open the file in Excel."""
    text = text or ""
    return "'" + text if text[:1] in _FORMULA_STARTS else text


def csv_file(header: Iterable[object], rows: Iterable[Iterable[object]]) -> bytes:
    """UTF-8 with a byte-order mark, which Excel needs to read Chinese correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def csv_answer(filename: str, content: bytes) -> Response[bytes]:
    return Answer(
        content=content,
        # The encoding adds "; charset=utf-8" to a text/ type.
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
