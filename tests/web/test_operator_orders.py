"""The operator's orders in the console: a search by every filter, an order's life with the
upstream's answers as text, the review queue's guarded resubmit, and the action log."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from httpx import AsyncClient, Response
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.accounts import service as accounts
from panel.models import Account, AccountKind, OperatorAction, Order, OrderStatus, UpstreamCall
from panel.orders import service as orders
from tests.conftest import Operator
from tests.fixtures.factories import World
from tests.web.conftest import (
    AGENCY_EMAIL,
    HOST,
    RESELLER_EMAIL,
    Visitor,
    give_password,
    sign_in,
    token,
)

OPS_HOST = "ops.example"
OPERATOR_EMAIL = "ops@example.com"
HOSTILE = '<script>alert("x")</script><b>Bot check</b>'


@dataclass
class Orders:
    world: World
    operator_id: int
    alpha: int  # the agency's, in progress at the primary provider as U-77
    beta: int  # the reseller's, likes, at the backup provider
    waiting: int  # the agency's, in review, its last answer hostile markup
    old: int  # the reseller's, placed long ago


@pytest.fixture
async def placed(world: World, session: AsyncSession) -> Orders:
    operator = await accounts.create(session, kind=AccountKind.operator, name="Ops")
    await give_password(session, operator, OPERATOR_EMAIL)
    await give_password(session, world.reseller, RESELLER_EMAIL)

    async def place(buyer: Account, service: str, link: str, **fields: object) -> Order:
        order = await orders.accept(
            session, buyer, world.services[service].id, {"link": link, "quantity": "100"}
        )
        for name, value in fields.items():
            setattr(order, name, value)
        return order

    alpha = await place(
        world.agency,
        "followers",
        "https://instagram.com/alpha_100%",
        status=OrderStatus.in_progress,
        provider_id=world.provider.id,
        upstream_id="U-77",
    )
    beta = await place(
        world.reseller,
        "likes",
        "https://tiktok.com/@beta",
        status=OrderStatus.in_progress,
        provider_id=world.backup.id,
        upstream_id="B-1",
    )
    waiting = await place(
        world.agency,
        "followers",
        "https://instagram.com/waiting",
        status=OrderStatus.needs_review,
        provider_id=world.provider.id,
        review_reason="upstream answer to add unknown",
    )
    old = await place(world.reseller, "followers", "https://instagram.com/old")
    old.created_at = datetime(2025, 1, 15, 10, tzinfo=UTC)
    session.add(
        UpstreamCall(
            order_id=waiting.id,
            provider_id=world.provider.id,
            action="add",
            outcome="ambiguous",
            answer=HOSTILE,
            called_at=datetime.now(UTC),
        )
    )
    await session.flush()
    return Orders(world, operator.id, alpha.id, beta.id, waiting.id, old.id)


@pytest.fixture
async def operator_web(placed: Orders, visitor: Visitor) -> AsyncClient:
    web = await visitor(OPS_HOST, english=True)
    assert (await sign_in(web, OPERATOR_EMAIL, OPS_HOST)).status_code == 303
    return web


def _rows(page: Response) -> list[int]:
    assert page.status_code == 200, page.text
    return [int(found) for found in re.findall(r'<li id="row-(\d+)"', page.text)]


async def test_search_by_each_filter(placed: Orders, operator_web: AsyncClient) -> None:
    p = placed
    everything = [p.old, p.waiting, p.beta, p.alpha]  # newest first
    searches: list[tuple[dict[str, str], list[int]]] = [
        ({}, everything),
        ({"ids": str(p.beta)}, [p.beta]),
        ({"ids": f"{p.alpha}, {p.beta} #{p.old}\n999999999"}, [p.old, p.beta, p.alpha]),
        ({"ids": "not an id"}, []),
        ({"link": "alpha_100%"}, [p.alpha]),  # % and _ match themselves
        ({"link": "alpha-100"}, []),
        ({"link": "alpha%"}, []),
        ({"link": "INSTAGRAM.com/"}, [p.old, p.waiting, p.alpha]),
        ({"upstream_id": "U-77"}, [p.alpha]),
        ({"buyer": str(p.world.agency.id)}, [p.waiting, p.alpha]),
        ({"buyer": "a1@"}, [p.waiting, p.alpha]),
        ({"buyer": "resell"}, [p.old, p.beta]),
        ({"provider_id": str(p.world.backup.id)}, [p.beta]),
        ({"service_id": str(p.world.services["likes"].id)}, [p.beta]),
        ({"status": "needs_review"}, [p.waiting]),
        ({"status": "pending", "buyer": "resell"}, [p.old]),
        ({"since": "2025-01-15", "until": "2025-01-15"}, [p.old]),
        ({"until": "2025-01-14"}, []),
        ({"since": "2025-01-16"}, [p.waiting, p.beta, p.alpha]),
        ({"before": str(p.waiting)}, [p.beta, p.alpha]),
    ]
    for query, expected in searches:
        page = await operator_web.get("/ops/orders", params=query)
        assert _rows(page) == expected, query


async def test_the_admin_api_searches_alike_and_shows_the_life(
    placed: Orders, client: AsyncClient, operator: Operator
) -> None:
    h = operator.headers
    found = await client.get(
        "/admin/v1/orders", params={"ids": f"{placed.alpha} {placed.beta}"}, headers=h
    )
    assert [row["id"] for row in found.json()] == [placed.beta, placed.alpha]
    linked = await client.get("/admin/v1/orders", params={"link": "tiktok"}, headers=h)
    assert [row["id"] for row in linked.json()] == [placed.beta]
    life = await client.get(f"/admin/v1/orders/{placed.waiting}/life", headers=h)
    assert life.status_code == 200, life.text
    body = life.json()
    assert [(c["action"], c["outcome"], c["answer"]) for c in body["calls"]] == [
        ("add", "ambiguous", HOSTILE)
    ]
    assert [j["kind"] for j in body["journals"]] == ["order"]
    assert (await client.get("/admin/v1/orders/999999/life", headers=h)).status_code == 404


async def test_an_upstream_answer_is_shown_as_text(
    placed: Orders, operator_web: AsyncClient
) -> None:
    escaped = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;b&gt;Bot check&lt;/b&gt;"
    for path in (f"/ops/orders/{placed.waiting}", "/ops/review"):
        page = await operator_web.get(path)
        assert page.status_code == 200, path
        assert escaped in page.text, path
        assert "<script>alert" not in page.text, path
        assert "<b>Bot check" not in page.text, path
    # The status in words, the raw one only as data for styling.
    waiting = await operator_web.get(f"/ops/orders/{placed.waiting}")
    assert 'data-status="needs_review">Needs review</span>' in waiting.text
    assert ">needs_review<" not in waiting.text
    life = await operator_web.get(f"/ops/orders/{placed.alpha}")
    assert 'id="journal-' in life.text
    assert "clearing" in life.text
    assert (await operator_web.get("/ops/orders/999999999")).status_code == 404


async def test_resubmit_needs_the_confirmation_and_is_logged(
    placed: Orders, operator_web: AsyncClient, session: AsyncSession
) -> None:
    csrf = await token(operator_web, "/ops/review")
    refused = await operator_web.post(f"/ops/review/{placed.waiting}/resubmit", data={"csrf": csrf})
    assert refused.status_code == 422
    assert "Nothing was changed" in refused.text
    order = await session.get_one(Order, placed.waiting, populate_existing=True)
    assert order.status is OrderStatus.needs_review
    assert await session.scalar(select(func.count()).select_from(OperatorAction)) == 0

    done = await operator_web.post(
        f"/ops/review/{placed.waiting}/resubmit", data={"csrf": csrf, "confirmed": "yes"}
    )
    assert done.status_code == 303
    order = await session.get_one(Order, placed.waiting, populate_existing=True)
    assert order.status is OrderStatus.pending
    [logged] = (await session.scalars(select(OperatorAction))).all()
    assert (logged.actor_id, logged.action, logged.subject_type, logged.subject_id) == (
        placed.operator_id,
        "order.review",
        "order",
        placed.waiting,
    )
    assert logged.before is not None
    assert logged.after is not None
    assert (logged.before["status"], logged.after["status"]) == ("needs_review", "pending")
    assert logged.after["decision"] == "resubmit"


async def test_the_review_page_sets_the_resubmit_apart(
    placed: Orders, operator_web: AsyncClient, visitor: Visitor
) -> None:
    page = await operator_web.get("/ops/review")
    form = re.search(rf'<form[^>]*id="resubmit-{placed.waiting}".*?</form>', page.text, re.S)
    assert form is not None
    assert 'class="risky"' in form.group(0)
    assert 'type="checkbox" name="confirmed" value="yes" required' in form.group(0)
    indonesian = await visitor(OPS_HOST)
    await sign_in(indonesian, OPERATOR_EMAIL, OPS_HOST)
    assert "Saya yakin upstream tidak memilikinya" in (await indonesian.get("/ops/review")).text


async def test_non_operators_find_no_orders_console(placed: Orders, visitor: Visitor) -> None:
    anonymous = await visitor(OPS_HOST)
    assert (await anonymous.get("/ops/orders")).status_code == 303
    for email, host in ((RESELLER_EMAIL, OPS_HOST), (AGENCY_EMAIL, HOST)):
        web = await visitor(host)
        assert (await sign_in(web, email, host)).status_code == 303
        for path in ("/ops/orders", f"/ops/orders/{placed.alpha}"):
            answer = await web.get(f"http://{host}{path}")
            assert answer.status_code == 404, (email, path)
            assert "U-77" not in answer.text
