"""CSV downloads (statements, reports): one way to write them."""

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from fastapi.responses import Response


def documented(what: str) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI description of a CSV answer."""
    return {200: {"content": {"text/csv": {}}, "description": what}}


def download(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    disposition = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(out.getvalue(), media_type="text/csv", headers=disposition)
