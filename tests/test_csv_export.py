"""CSV downloads are safe to open in a spreadsheet (OWASP "CSV Injection"): a text cell that
would start a formula, also after leading spaces or line breaks, is shown as text."""

import csv
import io

import pytest

from panel.plumbing import csv_export
from tests.fixtures.world import World

CASES = [
    # (cell as stored, cell as written)
    ("=1+1", "'=1+1"),
    ("+1+1", "'+1+1"),
    ("-1+1", "'-1+1"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    ("\t", "'\t"),
    # Whitespace or a line break first: spreadsheets skip it and still run the formula.
    (" =1+1", "' =1+1"),
    ("   @SUM(A1)", "'   @SUM(A1)"),
    ('\n=HYPERLINK("http://evil")', '\'\n=HYPERLINK("http://evil")'),
    ("\r\n+cmd|' /C calc'!A0", "'\r\n+cmd|' /C calc'!A0"),
    ("\u00a0-2+3", "'\u00a0-2+3"),
    ("\u3000=1", "'\u3000=1"),
    # Plain numbers, negative amounts included, are numbers to a spreadsheet: left alone.
    ("-1", "-1"),
    ("-0.5", "-0.5"),
    ("12.345678", "12.345678"),
    # Text that does not start a formula is left alone.
    ("bank transfer", "bank transfer"),
    ("a=b", "a=b"),
    ("  padded", "  padded"),
    ("", ""),
    ("'=already quoted", "'=already quoted"),
    ("2026-12-01T10:00:00+00:00", "2026-12-01T10:00:00+00:00"),
]


@pytest.mark.parametrize(("stored", "written"), CASES, ids=[repr(c[0]) for c in CASES])
def test_a_cell_that_would_start_a_formula_is_quoted(stored: str, written: str) -> None:
    assert csv_export.cell(stored) == written


@pytest.mark.parametrize("value", [-1, 0, 42, None])
def test_cells_that_are_not_text_are_left_alone(value: object) -> None:
    assert csv_export.cell(value) == value


def test_every_cell_of_a_download_is_made_safe() -> None:
    response = csv_export.download("x.csv", ["name", "=head"], [[" =1+1", -1, "-1"]])
    rows = list(csv.reader(io.StringIO(bytes(response.body).decode())))
    assert rows == [["name", "'=head"], ["' =1+1", "-1", "-1"]]


@pytest.mark.parametrize(
    "reason",
    [' =HYPERLINK("http://evil")', "\n@SUM(1+1)*cmd|' /C calc'!A0", "  -2+3"],
    ids=["space-first", "newline-first", "spaces-then-minus"],
)
async def test_statement_csv_quotes_a_reason_with_whitespace_before_its_formula(
    world: World, reason: str
) -> None:
    panel = world.panel
    await panel.admin(
        "POST",
        f"/accounts/{world.other.account_id}/adjustments",
        {"amount": "-1", "reason": reason},
    )
    answer = await panel.v1(world.other, "GET", "/statement.csv")
    assert answer.status_code == 200
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert rows[0]["reason"] == f"'{reason}"
    assert (rows[0]["amount"], rows[0]["balance_after"]) == ("-1", "49")
