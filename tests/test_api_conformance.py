"""/v1 and /admin/v1 against their own OpenAPI document, with schemathesis: generated
requests of every operation, every answer checked (no server error, documented status, content
type, headers and schema), and no tenant reading another's data."""

import json
import re
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from httpx import AsyncClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.case import Case
from schemathesis.specs.openapi.checks import ignored_auth
from sqlalchemy.ext.asyncio import AsyncSession

from panel.accounts import service as accounts
from panel.keys import service as keys
from panel.models import AccountKind
from tests.conftest import Operator
from tests.fixtures.world import Caller, World

DOCUMENT = json.loads((Path(__file__).parents[1] / "openapi" / "openapi.json").read_text())
# A schema-valid request may still break a rule the schema cannot state (an agency needs its
# reseller, min <= max, a route's provider service must exist): those are 422, by design.
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "401", "402", "404", "409", "422"]
            }
        }
    }
)
SCHEMA = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)
OPERATIONS = [
    result.ok()
    for result in SCHEMA.get_all_operations()
    if result.ok().path.startswith(("/v1/", "/admin/v1/"))
]
EXAMPLES = 15  # per operation: enough to find a crash, small enough for CI


async def _send(world: World, case: Case, token: str) -> Any:
    kwargs = case.as_transport_kwargs(base_url="http://pasok.test")
    kwargs.pop("cookies", None)  # the API reads none
    if isinstance(kwargs.get("data"), bytes | str):  # a raw body is httpx's `content`
        kwargs["content"] = kwargs.pop("data")
    headers = {**(kwargs.pop("headers", None) or {}), "Authorization": f"Bearer {token}"}
    return await world.panel.client.request(
        kwargs.pop("method"), kwargs.pop("url"), headers=headers, **kwargs
    )


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: f"{op.method.upper()} {op.path}")
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_every_answer_matches_the_document(
    world: World, operation: Any, data: st.DataObject
) -> None:
    case = data.draw(operation.as_strategy())
    caller: Caller = world.agency if operation.path.startswith("/v1/") else None  # type: ignore[assignment]
    token = caller.key if caller else world.panel.operator.token
    response = await _send(world, case, token)
    assert response.status_code < 500, response.text
    # `ignored_auth` would resend the request itself, which this in-process client cannot
    # lend it; the test below sends every operation without a valid key instead.
    case.validate_response(response, excluded_checks=[ignored_auth])


@pytest.fixture
async def agency_key(session: AsyncSession) -> str:
    """An agency's API key: all the key walk below needs of a world."""
    reseller = await accounts.create(session, kind=AccountKind.reseller, name="R")
    agency = await accounts.create(
        session, kind=AccountKind.agency, name="A", parent_id=reseller.id
    )
    return (await keys.issue(session, agency, "script")).plaintext


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: f"{op.method.upper()} {op.path}")
async def test_no_operation_opens_without_its_own_kind_of_key(
    client: AsyncClient, operator: Operator, agency_key: str, operation: Any
) -> None:
    path = re.sub(r"\{[a-z_]+\}", "1", operation.path)  # any id: auth comes first
    wrong = agency_key if path.startswith("/admin/") else operator.token
    for headers in ({}, {"Authorization": "Bearer nonsense"}, {"Authorization": f"Bearer {wrong}"}):
        response = await client.request(operation.method.upper(), path, headers=headers)
        assert response.status_code == 401, (headers, response.text)
        assert response.headers["content-type"] == "application/problem+json"


async def test_no_tenant_reads_another_s_data(world: World) -> None:
    """Every /v1 read, as another reseller and as a sibling agency, of what agency A1 owns:
    answered 404 by id, and absent from every list."""
    panel = world.panel
    order = await panel.v1(
        world.agency,
        "POST",
        "/orders",
        json={"service_id": world.followers, "link": "https://instagram.com/a1", "quantity": 100},
    )
    order_id = order.json()["id"]
    await panel.set_order(order_id, status="completed", remains=0, upstream_id="9")
    refill = await panel.v1(world.agency, "POST", f"/orders/{order_id}/refills")
    endpoint = await panel.v1(world.agency, "POST", "/webhooks", json={"url": "https://a1.example"})
    # A1 pays its reseller by a transfer by hand: the deposit is A1's, the gateway the
    # reseller's (which a sibling agency and another reseller must not see either).
    gateway = await panel.v1(
        world.reseller, "POST", "/payment-gateways", json={"kind": "manual", "name": "Bank"}
    )
    method = await panel.v1(
        world.reseller,
        "POST",
        f"/payment-gateways/{gateway.json()['id']}/methods",
        json={
            "code": "BCA",
            "name": "Transfer BCA",
            "kind": "transfer",
            "min_amount": "1",
            "max_amount": "1000",
            "instructions": "BCA 123 a.n. Reseller",
        },
    )
    deposit = await panel.v1(
        world.agency, "POST", "/deposits", json={"method_id": method.json()["id"], "amount": "5"}
    )
    ticket = await panel.v1(
        world.agency,
        "POST",
        "/tickets",
        json={"topic": "order", "reason": "slow", "message": "a1-ticket", "order_ids": [order_id]},
    )
    ids = {
        "ticket_id": ticket.json()["id"],
        "order_id": order_id,
        "refill_id": refill.json()["id"],
        "endpoint_id": endpoint.json()["id"],
        "deposit_id": deposit.json()["id"],
        "gateway_id": gateway.json()["id"],
        "review_id": 1,
    }
    reads = [op for op in OPERATIONS if op.method == "get" and op.path.startswith("/v1/")]
    assert len(reads) >= 8
    for caller in (world.other, world.sibling):
        for operation in reads:
            path = operation.path.removeprefix("/v1")
            for name, value in ids.items():
                path = path.replace(f"{{{name}}}", str(value))
            answer = await panel.v1(caller, "GET", path)
            if "{" in operation.path:
                assert answer.status_code == 404, (caller, path, answer.text)
                continue
            # /tier is a reseller's: an agency is told so (404), which shows nothing either.
            assert answer.status_code in (200, 404), (caller, path, answer.text)
            shown = answer.text
            # An order shows its link; a statement line its order; an endpoint its URL; a
            # deposit its reference.
            assert "instagram.com/a1" not in shown
            assert deposit.json()["reference"] not in shown
            assert f"order {order_id}" not in shown
            assert f'"order_id":{order_id}' not in shown.replace(" ", "")
            assert "a1.example" not in shown
            assert "a1-ticket" not in shown
