"""CSV downloads (statements, reports): one way to write them, every text cell made safe to
open in a spreadsheet."""

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

from fastapi.responses import Response

# A cell a spreadsheet would run as a formula (OWASP, "CSV Injection"): one that starts with
# one of these, also after spaces or line breaks, which some spreadsheets skip before they
# look for a formula.
FORMULA_TRIGGERS = frozenset("=+-@\t\r")
# A plain number (a negative amount) is read as a number, not run: it is left as it is.
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def documented(what: str) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI description of a CSV answer."""
    return {200: {"content": {"text/csv": {}}, "description": what}}


def cell(value: Any) -> Any:
    """`value` as written: text that would start a formula gets a leading `'`, which the
    spreadsheet shows as text and does not run."""
    if not isinstance(value, str) or _NUMBER.fullmatch(value):
        return value
    if value[:1] in FORMULA_TRIGGERS or value.lstrip()[:1] in FORMULA_TRIGGERS:
        return f"'{value}"
    return value


def download(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([cell(name) for name in header])
    writer.writerows([cell(value) for value in row] for row in rows)
    disposition = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(out.getvalue(), media_type="text/csv", headers=disposition)
