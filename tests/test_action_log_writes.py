"""Operator writes of prices and money that reach the action log with what they changed:
tiers and price rules through `/admin/v1`, and decisions about transfers and payment reviews."""

from datetime import UTC, datetime
from decimal import Decimal

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from panel import action_log
from panel.accounts import service as accounts
from panel.config import PaymentSettings
from panel.models import (
    AccountKind,
    GatewayKind,
    MethodKind,
    Provider,
    ReviewOutcome,
    ReviewReason,
)
from panel.payments import crediting, deposits, methods
from tests.conftest import Operator

ADMIN = "/admin/v1"
D = Decimal


async def _entries(session: AsyncSession, prefix: str) -> list[tuple[str, object, object]]:
    found = await action_log.search(session, action_log.Filter(action=prefix))
    return [(entry.action, entry.before, entry.after) for entry in reversed(found)]


async def test_tiers_and_price_rules_are_logged_with_before_and_after(
    client: AsyncClient, operator: Operator, session: AsyncSession
) -> None:
    made = await client.post(
        f"{ADMIN}/tiers", json={"name": "Gold", "min_spend_90d": "100"}, headers=operator.headers
    )
    tier_id = made.json()["id"]
    await client.patch(
        f"{ADMIN}/tiers/{tier_id}", json={"min_spend_90d": "250"}, headers=operator.headers
    )
    rule = await client.post(
        f"{ADMIN}/price-rules",
        json={"tier_id": tier_id, "markup_percent": "20"},
        headers=operator.headers,
    )
    deleted = await client.delete(
        f"{ADMIN}/price-rules/{rule.json()['id']}", headers=operator.headers
    )
    assert deleted.status_code == 204

    assert await _entries(session, "tier.") == [
        ("tier.create", None, {"name": "Gold", "min_spend_90d": "100"}),
        (
            "tier.update",
            {"name": "Gold", "min_spend_90d": "100"},
            {"name": "Gold", "min_spend_90d": "250"},
        ),
    ]
    rules = await _entries(session, "price_rule.")
    assert [action for action, _, _ in rules] == ["price_rule.create", "price_rule.delete"]
    assert rules[0][2]["markup_percent"] == "20"  # type: ignore[index]
    assert rules[1][1]["tier_id"] == tier_id  # type: ignore[index]
    found = await action_log.search(session, action_log.Filter(action="price_rule."))
    assert {entry.actor_id for entry in found} == {operator.account.id}


async def test_decisions_about_money_paid_in_are_logged(session: AsyncSession) -> None:
    now = datetime.now(UTC)
    operator = await accounts.create(session, kind=AccountKind.operator, name="Ops")
    reseller = await accounts.create(session, kind=AccountKind.reseller, name="R")
    gateway = await methods.add_gateway(
        session, None, None, GatewayKind.manual, "Bank", methods.GatewayKeys(private_key="s"), "IDR"
    )
    method = await methods.put_method(
        session,
        None,
        gateway,
        methods.MethodTerms(
            code="BCA",
            name="BCA",
            kind=MethodKind.transfer,
            min_amount=D(1),
            max_amount=D(1_000_000),
            instructions="BCA 1 a.n. Panel",
        ),
    )

    async def opened(amount: int) -> int:
        made = await deposits.open_deposit(
            session,
            reseller,
            method.id,
            D(amount),
            now=now,
            currency="IDR",
            settings=PaymentSettings(),
            adapter_for=lambda g: None,  # type: ignore[arg-type,return-value]
            links=lambda g, ref: deposits.Links("", ""),
        )
        return made.id

    confirmed = await crediting.confirm_transfer(session, operator, await opened(5000), now)
    rejected = await crediting.reject_transfer(session, operator, await opened(6000), "no", now)
    review = await crediting.review(
        session, gateway, None, ReviewReason.unmatched_transfer, "a line", "body", D(7000)
    )
    await crediting.resolve(session, operator, review.id, ReviewOutcome.dismissed, "not ours", now)

    logged = await _entries(session, "")
    assert [(action, before) for action, before, _ in logged] == [
        ("deposit.confirm", {"status": "pending"}),
        ("deposit.reject", {"status": "pending"}),
        ("payment_review.resolve", None),
    ]
    assert logged[0][2]["status"] == "paid"  # type: ignore[index]
    assert logged[0][2]["journal_id"] == confirmed.journal_id  # type: ignore[index]
    assert logged[1][2]["note"] == rejected.note == "no"  # type: ignore[index]
    assert logged[2][2]["outcome"] == "dismissed"  # type: ignore[index]


async def test_the_catalogue_is_logged_and_a_provider_key_never_is(
    client: AsyncClient, operator: Operator, session: AsyncSession
) -> None:
    secret = "sk-provider-secret-123"
    provider = await client.post(
        f"{ADMIN}/providers",
        json={"name": "Up", "api_url": "http://127.0.0.1:9/api/v2", "api_key": secret},
        headers=operator.headers,
    )
    assert provider.status_code == 201, provider.text
    provider_id = provider.json()["id"]
    changed = await client.patch(
        f"{ADMIN}/providers/{provider_id}",
        json={
            "low_balance": "5",
            "api_key": "sk-another-secret-456",
            "api_id": "buyer-7",
            "api_secret": "whsec-secret-789",
        },
        headers=operator.headers,
    )
    assert changed.status_code == 200, changed.text
    kept = await session.get_one(Provider, provider_id, populate_existing=True)
    assert (kept.api_key, kept.api_id, kept.api_secret) == (
        "sk-another-secret-456",
        "buyer-7",
        "whsec-secret-789",
    )
    made = await client.post(
        f"{ADMIN}/services",
        json={"name": "Likes", "category": "Instagram", "max_quantity": 1000},
        headers=operator.headers,
    )
    service_id = made.json()["id"]
    await client.patch(
        f"{ADMIN}/services/{service_id}", json={"name": "Likes HQ"}, headers=operator.headers
    )

    logged = await _entries(session, "")
    assert [action for action, _, _ in logged] == [
        "provider.create",
        "provider.update",
        "service.create",
        "service.update",
    ]
    assert logged[1][1]["low_balance"] == "0"  # type: ignore[index]
    assert logged[1][2]["low_balance"] == "5"  # type: ignore[index]
    assert logged[1][2]["api_id"] == "buyer-7"  # type: ignore[index]
    assert logged[3][1]["name"] == "Likes"  # type: ignore[index]
    assert logged[3][2]["name"] == "Likes HQ"  # type: ignore[index]
    found = await action_log.search(session, action_log.Filter())
    shown = " ".join(f"{entry.before} {entry.after} {entry.note}" for entry in found)
    for value in (secret, "sk-another-secret-456", "whsec-secret-789"):
        assert value not in shown
    assert "keys replaced: api_key, api_secret" in shown


async def test_gateways_brands_keys_and_sign_in_settings_are_logged_without_secrets(
    client: AsyncClient, operator: Operator, session: AsyncSession
) -> None:
    secret = "statement-secret-789"
    made = await client.post(
        f"{ADMIN}/payment-gateways",
        json={"kind": "manual", "name": "Bank", "private_key": secret},
        headers=operator.headers,
    )
    assert made.status_code == 201, made.text
    gateway_id = made.json()["id"]
    renamed = await client.patch(
        f"{ADMIN}/payment-gateways/{gateway_id}",
        json={"name": "Bank BCA", "private_key": "statement-secret-000"},
        headers=operator.headers,
    )
    assert renamed.status_code == 200, renamed.text
    method = {
        "code": "BCA",
        "name": "Transfer BCA",
        "kind": "transfer",
        "min_amount": "10000",
        "max_amount": "5000000",
        "instructions": "BCA 123 a.n. Panel",
    }
    for max_amount in ("5000000", "9000000"):
        put = await client.post(
            f"{ADMIN}/payment-gateways/{gateway_id}/methods",
            json=method | {"max_amount": max_amount},
            headers=operator.headers,
        )
        assert put.status_code == 200, put.text

    reseller = await accounts.create(session, kind=AccountKind.reseller, name="Budi")
    provider = await client.post(
        f"{ADMIN}/providers",
        json={"name": "Up", "api_url": "http://127.0.0.1:9/api/v2", "api_key": "k"},
        headers=operator.headers,
    )
    provider_id = provider.json()["id"]
    await session.commit()
    issued = await client.post(
        f"{ADMIN}/accounts/{reseller.id}/keys", json={}, headers=operator.headers
    )
    steps = [
        (
            "PUT",
            f"/accounts/{reseller.id}/brand",
            {"name": "Sosmed", "hosts": ["budi.example.com"]},
        ),
        ("PUT", f"/accounts/{reseller.id}/brand", {"name": "Budi", "hosts": ["budi.example.id"]}),
        (
            "PUT",
            f"/providers/{provider_id}/services",
            {"external_id": "7", "name": "Followers", "rate": "1.5", "max_quantity": 1000},
        ),
        (
            "PUT",
            f"/keys/{issued.json()['id']}/allowed-addresses",
            {"allowed_addresses": ["10.0.0.0/8"]},
        ),
        ("DELETE", f"/accounts/{reseller.id}/two-factor", None),
    ]
    for method_name, path, body in steps:
        answer = await client.request(
            method_name, f"{ADMIN}{path}", json=body, headers=operator.headers
        )
        assert answer.status_code < 300, (path, answer.text)

    logged = await _entries(session, "")
    assert [action for action, _, _ in logged] == [
        "payment_gateway.create",
        "payment_gateway.update",
        "payment_method.create",
        "payment_method.update",
        "provider.create",
        "key.issue",
        "brand.set",
        "brand.set",
        "provider_service.put",
        "key.limit",
        "account.two_factor_reset",
    ]
    by_action = {action: (before, after) for action, before, after in logged}
    assert by_action["payment_gateway.update"][1]["name"] == "Bank BCA"  # type: ignore[index]
    assert by_action["payment_method.update"][0]["max_amount"] == "5000000"  # type: ignore[index]
    assert by_action["payment_method.update"][1]["max_amount"] == "9000000"  # type: ignore[index]
    # The second brand.set, from the first one's brand to the new one.
    assert by_action["brand.set"][0]["hosts"] == ["budi.example.com"]  # type: ignore[index]
    assert by_action["brand.set"][1]["hosts"] == ["budi.example.id"]  # type: ignore[index]
    assert by_action["provider_service.put"][1]["rate"] == "1.5"  # type: ignore[index]
    assert by_action["key.limit"][1]["allowed_addresses"] == ["10.0.0.0/8"]  # type: ignore[index]
    found = await action_log.search(session, action_log.Filter())
    assert {entry.actor_id for entry in found} == {operator.account.id}
    shown = " ".join(f"{entry.before} {entry.after} {entry.note}" for entry in found)
    assert "secret" not in shown
    assert "keys replaced: private_key" in shown
