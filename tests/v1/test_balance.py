"""/v1 balance and statement: a buyer's own money, in JSON and in CSV."""

import csv
import io

from tests.fixtures.world import World

LINK = "https://instagram.com/pasok"


async def test_balance_and_statement_follow_each_order(world: World) -> None:
    panel = world.panel
    await panel.v1(
        world.agency,
        "POST",
        "/orders",
        json={"service_id": world.followers, "link": LINK, "quantity": 1000},
    )
    balance = (await panel.v1(world.agency, "GET", "/balance")).json()
    assert balance == {"balance": "18.68", "currency": "USD"}
    statement = (await panel.v1(world.agency, "GET", "/statement")).json()
    assert statement["balance"] == "18.68"
    newest, funding = statement["lines"]
    assert (newest["kind"], newest["amount"], newest["balance_after"]) == (
        "order",
        "-1.32",
        "18.68",
    )
    assert (funding["kind"], funding["amount"]) == ("agency_funding", "20")
    # Each caller reads its own wallet only.
    other = (await panel.v1(world.other, "GET", "/statement")).json()
    assert [line["kind"] for line in other["lines"]] == ["topup"]


async def test_statement_pages_with_its_cursor(world: World) -> None:
    panel = world.panel
    for n in range(3):
        await panel.v1(
            world.agency,
            "POST",
            "/orders",
            json={"service_id": world.followers, "link": f"{LINK}/{n}", "quantity": 100},
        )
    ids: list[int] = []
    params: dict[str, int] = {"limit": 2}
    while True:
        page = (await panel.v1(world.agency, "GET", "/statement", params=params)).json()
        assert len(page["lines"]) <= 2
        ids += [line["entry_id"] for line in page["lines"]]
        if page["next_before"] is None:
            break
        params["before"] = page["next_before"]
    assert len(ids) == 4  # three orders and the funding, each once
    assert ids == sorted(ids, reverse=True)


async def test_statement_as_csv_is_safe_in_a_spreadsheet(world: World) -> None:
    panel = world.panel
    await panel.admin(
        "POST",
        f"/accounts/{world.other.account_id}/adjustments",
        {"amount": "-1", "reason": '=HYPERLINK("http://evil")'},
    )
    answer = await panel.v1(world.other, "GET", "/statement.csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [(r["kind"], r["amount"], r["balance_after"], r["currency"]) for r in rows] == [
        ("adjustment", "-1", "49", "USD"),
        ("topup", "50", "50", "USD"),
    ]
    assert rows[0]["reason"] == '\'=HYPERLINK("http://evil")'
