"""Deposits in `/v1`: methods, deposits through the sandbox Tripay and by transfer, a
reseller's own gateways, its agencies' deposits and its review list. Bad input is answered
4xx in problem JSON and writes nothing."""

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from httpx import AsyncClient, Response
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from panel.accounts import service as accounts
from panel.keys import service as keys
from panel.ledger import service as ledger
from panel.models import (
    AccountKind,
    Deposit,
    GatewayKind,
    MethodKind,
    PaymentGateway,
    ReviewReason,
)
from panel.payments import crediting, methods
from tests.conftest import Operator
from tests.fixtures.gateway import GatewayHandle

D = Decimal
PROBLEM = "application/problem+json"
TABLES = ("deposit", "payment_gateway", "payment_method", "payment_review", "journal")
MERCHANT, API_KEY, PRIVATE_KEY = "T0001", "tripay-api-key-7788", "tripay-private-key"


@dataclass(frozen=True)
class Buyer:
    id: int
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


@dataclass
class Payments:
    """The panel in rupiah with the sandbox Tripay: the operator's QRIS and bank transfer for
    resellers, and each reseller's own bank transfer for its agencies."""

    client: AsyncClient
    sessionmaker: async_sessionmaker[AsyncSession]
    operator: Operator
    gateway: GatewayHandle
    reseller: Buyer  # wallet 100 000
    other: Buyer  # another reseller, wallet 0
    agency: Buyer  # the reseller's
    stranger: Buyer  # the other reseller's agency
    panel_tripay: int
    qris: int  # 750 + 0.7 %, paid by the buyer, 1 000 .. 5 000 000
    panel_transfer: int  # gateway
    transfer: int  # method: 10 000 .. 10 000 000
    own_transfer_gateway: int  # the reseller's, for its agencies
    own_transfer: int
    other_transfer_gateway: int  # the other reseller's
    other_transfer: int

    async def v1(self, who: Buyer | None, method: str, path: str, **kwargs: Any) -> Response:
        headers = {**(who.headers if who else {}), **kwargs.pop("headers", {})}
        return await self.client.request(method, f"/v1{path}", headers=headers, **kwargs)

    async def admin(self, method: str, path: str, **kwargs: Any) -> Response:
        headers = {**self.operator.headers, **kwargs.pop("headers", {})}
        return await self.client.request(method, f"/admin/v1{path}", headers=headers, **kwargs)

    async def counts(self) -> dict[str, int]:
        async with self.sessionmaker() as session:
            return {
                table: int(await session.scalar(text(f'SELECT count(*) FROM "{table}"')) or 0)
                for table in TABLES
            }

    async def balance(self, buyer: Buyer) -> Decimal:
        async with self.sessionmaker() as session:
            return await ledger.balance(session, buyer.id)

    async def deposit(self, deposit_id: int) -> Deposit:
        async with self.sessionmaker() as session:
            return await session.get_one(Deposit, deposit_id)

    async def review(self, deposit_id: int, detail: str = "paid after expiry") -> int:
        """Put a deposit on the review list as a late payment would."""
        async with self.sessionmaker.begin() as session:
            deposit = await session.get_one(Deposit, deposit_id)
            await crediting.expire(session, deposit, datetime.now(UTC))
            gateway = await session.get_one(PaymentGateway, deposit.gateway_id)
            found = await crediting.review(
                session, gateway, deposit, ReviewReason.after_expiry, detail, "{}", deposit.total
            )
            return found.id


def problem(response: Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


async def _buyer(session: AsyncSession, kind: AccountKind, name: str, **fields: Any) -> Buyer:
    account = await accounts.create(session, kind=kind, name=name, **fields)
    issued = await keys.issue(session, account, "script")
    return Buyer(account.id, issued.plaintext)


async def _transfer(session: AsyncSession, owner_id: int | None, name: str) -> tuple[int, int]:
    made = await methods.add_gateway(
        session, None, owner_id, GatewayKind.manual, name, methods.GatewayKeys(), "IDR"
    )
    method = await methods.put_method(
        session,
        None,
        made,
        methods.MethodTerms(
            code="BCA",
            name=f"BCA {name}",
            kind=MethodKind.transfer,
            min_amount=D(10_000),
            max_amount=D(10_000_000),
            instructions="BCA 1234567890 a.n. Toko",
        ),
    )
    return made.id, method.id


@pytest.fixture
async def payments(
    client: AsyncClient,
    operator: Operator,
    sessionmaker: async_sessionmaker[AsyncSession],
    gateway: GatewayHandle,
) -> Payments:
    runtime: Any = client._transport.app.state.runtime  # type: ignore[attr-defined]
    paid_in = runtime.settings.payments.model_copy(update={"tripay_sandbox_url": gateway.base_url})
    runtime.settings = runtime.settings.model_copy(update={"currency": "IDR", "payments": paid_in})
    gateway.register_merchant(MERCHANT, API_KEY, PRIVATE_KEY)
    async with sessionmaker.begin() as session:
        reseller = await _buyer(session, AccountKind.reseller, "Reseller A")
        other = await _buyer(session, AccountKind.reseller, "Reseller B")
        agency = await _buyer(session, AccountKind.agency, "Agency A1", parent_id=reseller.id)
        stranger = await _buyer(session, AccountKind.agency, "Agency B1", parent_id=other.id)
        await ledger.top_up(session, reseller.id, D(100_000), "bank", operator.account.id)
        tripay = await methods.add_gateway(
            session,
            None,
            None,
            GatewayKind.tripay,
            "Tripay",
            methods.GatewayKeys(MERCHANT, API_KEY, PRIVATE_KEY),
            "IDR",
        )
        qris = await methods.put_method(
            session,
            None,
            tripay,
            methods.MethodTerms(
                code="QRIS",
                name="QRIS",
                kind=MethodKind.qris,
                min_amount=D(1_000),
                max_amount=D(5_000_000),
                fee_flat=D(750),
                fee_percent=D("0.7"),
            ),
        )
        panel_transfer, transfer = await _transfer(session, None, "Panel")
        own_gateway, own_transfer = await _transfer(session, reseller.id, "Reseller A")
        other_gateway, other_transfer = await _transfer(session, other.id, "Reseller B")
    return Payments(
        client,
        sessionmaker,
        operator,
        gateway,
        reseller,
        other,
        agency,
        stranger,
        tripay.id,
        qris.id,
        panel_transfer,
        transfer,
        own_gateway,
        own_transfer,
        other_gateway,
        other_transfer,
    )


def _ids(response: Response) -> list[int]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()]


# --- paying in -----------------------------------------------------------------------------------


async def test_each_payer_is_offered_its_receivers_methods_with_their_fees(
    payments: Payments,
) -> None:
    p = payments
    offered = await p.v1(p.reseller, "GET", "/payment-methods")
    assert _ids(offered) == [p.qris, p.transfer]  # QRIS first
    qris = offered.json()[0]
    assert (qris["fee_flat"], qris["fee_percent"], qris["fee_paid_by"]) == ("750", "0.7", "buyer")
    assert (qris["min_amount"], qris["currency"]) == ("1000", "IDR")
    assert _ids(await p.v1(p.agency, "GET", "/payment-methods")) == [p.own_transfer]
    assert _ids(await p.v1(p.stranger, "GET", "/payment-methods")) == [p.other_transfer]
    problem(await p.v1(None, "GET", "/payment-methods"), 401)


async def test_a_qris_deposit_is_made_at_the_gateway_and_shown_to_its_payer_only(
    payments: Payments,
) -> None:
    p = payments
    made = await p.v1(
        p.reseller, "POST", "/deposits", json={"method_id": p.qris, "amount": "50000"}
    )
    assert made.status_code == 201, made.text
    deposit = made.json()
    # 750 flat + 0.7 % of 50 000 (350), added to what the buyer pays.
    assert (deposit["amount"], deposit["fee"], deposit["total"]) == ("50000", "1100", "51100")
    assert deposit["status"] == "pending"
    assert deposit["qr_string"]
    assert deposit["expires_at"]
    assert deposit["unique_code"] is None
    [at_gateway] = p.gateway.transactions()
    assert at_gateway["merchant_ref"] == deposit["reference"]
    assert at_gateway["reference"] == deposit["gateway_reference"]

    got = await p.v1(p.reseller, "GET", f"/deposits/{deposit['id']}")
    assert got.json() == deposit
    listed = await p.v1(p.reseller, "GET", "/deposits")
    assert [d["id"] for d in listed.json()["items"]] == [deposit["id"]]
    problem(await p.v1(p.other, "GET", f"/deposits/{deposit['id']}"), 404)
    problem(await p.v1(p.agency, "GET", f"/deposits/{deposit['id']}"), 404)
    assert (await p.v1(p.other, "GET", "/deposits")).json()["items"] == []


async def test_a_transfer_asks_for_a_unique_code_and_pages_go_back_in_time(
    payments: Payments,
) -> None:
    p = payments
    made = []
    for amount in ("10000", "20000", "30000"):
        answer = await p.v1(
            p.agency, "POST", "/deposits", json={"method_id": p.own_transfer, "amount": amount}
        )
        assert answer.status_code == 201, answer.text
        made.append(answer.json())
    first = made[0]
    assert 1 <= first["unique_code"] <= 999
    assert D(first["total"]) == D(10_000) + first["unique_code"] == D(first["amount"])
    assert first["qr_string"] is None
    assert first["gateway_reference"] is None
    page = (await p.v1(p.agency, "GET", "/deposits", params={"limit": 2})).json()
    assert [d["id"] for d in page["items"]] == [made[2]["id"], made[1]["id"]]
    rest = await p.v1(p.agency, "GET", "/deposits", params={"before": page["next_before"]})
    assert [d["id"] for d in rest.json()["items"]] == [made[0]["id"]]
    assert rest.json()["next_before"] is None


async def test_an_idempotency_key_replays_the_first_deposit(payments: Payments) -> None:
    p = payments
    body = {"method_id": p.qris, "amount": "25000"}
    key = {"Idempotency-Key": "top-up-1"}
    first = await p.v1(p.reseller, "POST", "/deposits", json=body, headers=key)
    assert first.status_code == 201, first.text
    before = await p.counts()
    again = await p.v1(p.reseller, "POST", "/deposits", json=body, headers=key)
    assert (again.status_code, again.text) == (201, first.text)
    other = await p.v1(
        p.reseller, "POST", "/deposits", json={**body, "amount": "26000"}, headers=key
    )
    problem(other, 409)
    assert await p.counts() == before
    assert len(p.gateway.transactions()) == 1


BAD_AMOUNTS: list[Any] = [
    "-50000",
    "0",
    0,
    "50000.1234567",  # more decimals than money has
    "50000.5",  # rupiah are whole
    "1e5",
    "NaN",
    "",
    None,
    [50000],
    "5000",  # below the transfer's minimum of 10 000
    "20000000",  # above its maximum
]


async def test_a_bad_deposit_writes_nothing(payments: Payments) -> None:
    p = payments
    before = await p.counts()
    for amount in BAD_AMOUNTS:
        body = {"method_id": p.transfer, "amount": amount}
        problem(await p.v1(p.reseller, "POST", "/deposits", json=body), 422)
    for body, status in (
        ({"method_id": p.transfer, "amount": "50000", "ammount": 1}, 422),  # an unknown field
        ({"amount": "50000"}, 422),
        ({"method_id": "QRIS", "amount": "50000"}, 422),
        ({"method_id": 2**40, "amount": "50000"}, 422),
        ({"method_id": 999_999, "amount": "50000"}, 404),
        ({"method_id": p.qris, "amount": "100"}, 422),  # 851 with its fee: below QRIS's 1 000
    ):
        problem(await p.v1(p.reseller, "POST", "/deposits", json=body), status)
    problem(await p.v1(p.reseller, "POST", "/deposits", content=b"{not json"), 422)
    problem(await p.v1(p.reseller, "POST", "/deposits", json=[]), 422)
    assert await p.counts() == before
    assert p.gateway.transactions() == []


async def test_no_one_pays_through_a_method_not_offered_to_it(payments: Payments) -> None:
    p = payments
    before = await p.counts()
    for who, method in (
        (p.agency, p.other_transfer),  # another reseller's
        (p.agency, p.transfer),  # the panel's: an agency pays its reseller
        (p.agency, p.qris),
        (p.reseller, p.own_transfer),  # its own, for its agencies
        (p.other, p.own_transfer),
    ):
        answer = await p.v1(who, "POST", "/deposits", json={"method_id": method, "amount": 50000})
        problem(answer, 404)
    assert await p.counts() == before


async def test_at_most_three_deposits_wait_at_once(payments: Payments) -> None:
    p = payments
    for amount in (10_000, 11_000, 12_000):
        answer = await p.v1(
            p.reseller, "POST", "/deposits", json={"method_id": p.transfer, "amount": amount}
        )
        assert answer.status_code == 201, answer.text
    before = await p.counts()
    fourth = await p.v1(
        p.reseller, "POST", "/deposits", json={"method_id": p.qris, "amount": 13_000}
    )
    assert "at most 3" in problem(fourth, 409)["detail"]
    assert await p.counts() == before
    assert p.gateway.transactions() == []


async def test_bad_query_and_path_values_are_refused(payments: Payments) -> None:
    p = payments
    for path, params in (
        ("/deposits", {"limit": 0}),
        ("/deposits", {"limit": 201}),
        ("/deposits", {"before": -1}),
        ("/deposits/0", {}),
        ("/deposits/99999999999", {}),
        ("/agency-deposits", {"status": "lost"}),
        ("/payment-reviews", {"all": "maybe"}),
    ):
        problem(await p.v1(p.reseller, "GET", path, params=params), 422)


# --- a reseller's own gateways -------------------------------------------------------------------


async def test_a_reseller_sets_up_a_tripay_gateway_and_its_secrets_stay_hidden(
    payments: Payments,
) -> None:
    p = payments
    made = await p.v1(
        p.reseller,
        "POST",
        "/payment-gateways",
        json={
            "kind": "tripay",
            "name": "Tripay saya",
            "merchant_code": MERCHANT,
            "api_key": API_KEY,
            "private_key": PRIVATE_KEY,
        },
    )
    assert made.status_code == 201, made.text
    gateway = made.json()
    assert API_KEY not in made.text
    assert PRIVATE_KEY not in made.text
    assert (gateway["api_key_hint"], gateway["private_key_set"]) == (API_KEY[-4:], True)
    assert gateway["report_url"] == (f"http://pasok.test/payments/tripay/{gateway['id']}/callback")
    imported = await p.v1(p.reseller, "POST", f"/payment-gateways/{gateway['id']}/import", json={})
    assert imported.status_code == 200, imported.text
    assert [m["code"] for m in imported.json()][:2] == ["QRIS", "BRIVA"]
    assert imported.json()[0]["kind"] == "qris"
    listed = await p.v1(p.reseller, "GET", f"/payment-gateways/{gateway['id']}/methods")
    assert listed.json() == imported.json()
    everything = await p.v1(p.reseller, "GET", "/payment-gateways")
    assert _ids(everything) == [p.own_transfer_gateway, gateway["id"]]
    assert API_KEY not in everything.text
    assert PRIVATE_KEY not in everything.text
    # The agency now pays through the reseller's QRIS too.
    offered = await p.v1(p.agency, "GET", "/payment-methods")
    assert [m["code"] for m in offered.json()][0] == "QRIS"


async def test_a_reseller_puts_methods_on_its_transfer_gateway(payments: Payments) -> None:
    p = payments
    made = await p.v1(
        p.reseller,
        "POST",
        "/payment-gateways",
        json={"kind": "manual", "name": "Rekening Mandiri", "private_key": "moota-secret"},
    )
    assert made.status_code == 201, made.text
    gateway = made.json()
    assert "moota-secret" not in made.text
    assert gateway["api_key_hint"] is None
    assert gateway["report_url"].endswith(f"/payments/transfers/{gateway['id']}/statement")
    method = {
        "code": "MANDIRI",
        "name": "Mandiri 1400",
        "kind": "transfer",
        "min_amount": "10000",
        "max_amount": "5000000",
        "instructions": "Mandiri 1400012345 a.n. Toko",
    }
    put = await p.v1(p.reseller, "POST", f"/payment-gateways/{gateway['id']}/methods", json=method)
    assert put.status_code == 200, put.text
    changed = await p.v1(
        p.reseller,
        "POST",
        f"/payment-gateways/{gateway['id']}/methods",
        json={**method, "min_amount": "20000", "enabled": False},
    )
    assert changed.json()["id"] == put.json()["id"]
    assert (changed.json()["min_amount"], changed.json()["enabled"]) == ("20000", False)
    listed = await p.v1(p.reseller, "GET", f"/payment-gateways/{gateway['id']}/methods")
    assert _ids(listed) == [put.json()["id"]]
    assert put.json()["id"] not in _ids(await p.v1(p.agency, "GET", "/payment-methods"))


async def test_a_reseller_never_reaches_another_resellers_gateways(payments: Payments) -> None:
    p = payments
    theirs = p.other_transfer_gateway
    assert theirs not in _ids(await p.v1(p.reseller, "GET", "/payment-gateways"))
    before = await p.counts()
    problem(await p.v1(p.reseller, "GET", f"/payment-gateways/{theirs}/methods"), 404)
    problem(await p.v1(p.reseller, "GET", f"/payment-gateways/{p.panel_transfer}/methods"), 404)
    method = {
        "code": "X",
        "name": "X",
        "kind": "transfer",
        "min_amount": 1,
        "max_amount": 2,
        "instructions": "x",
    }
    answer = await p.v1(p.reseller, "POST", f"/payment-gateways/{theirs}/methods", json=method)
    problem(answer, 404)
    problem(await p.v1(p.reseller, "POST", f"/payment-gateways/{theirs}/import", json={}), 404)
    assert await p.counts() == before


GOOD_METHOD: dict[str, Any] = {
    "code": "BNI",
    "name": "BNI",
    "kind": "transfer",
    "min_amount": "10000",
    "max_amount": "100000",
    "instructions": "BNI 99 a.n. Toko",
}
BAD_GATEWAYS: list[dict[str, Any]] = [
    {"kind": "tripay", "name": "T"},  # no keys
    {"kind": "tripay", "name": "T", "merchant_code": "M", "api_key": "k"},
    {"kind": "paypal", "name": "P"},
    {"kind": "manual", "name": " "},
    {"kind": "manual"},
    {"kind": "manual", "name": "M", "secret": "s"},  # an unknown field
    {"kind": "manual", "name": "M", "api_key": "k" * 501},
    {"kind": "manual", "name": "M\x00"},
]
BAD_METHODS: list[dict[str, Any]] = [
    {**GOOD_METHOD, "min_amount": "200000"},  # above the maximum
    {**GOOD_METHOD, "min_amount": "0"},
    {**GOOD_METHOD, "min_amount": "-1"},
    {**GOOD_METHOD, "fee_flat": "-1"},
    {**GOOD_METHOD, "fee_percent": "100"},
    {**GOOD_METHOD, "fee_percent": "1.1234567"},
    {**GOOD_METHOD, "instructions": ""},  # a transfer by hand says where to pay
    {**GOOD_METHOD, "kind": "qris"},  # not by hand
    {**GOOD_METHOD, "kind": "cash"},
    {**GOOD_METHOD, "code": "bad code!"},
    {**GOOD_METHOD, "fee_paid_by": "nobody"},
    {**GOOD_METHOD, "extra": 1},
    {key: value for key, value in GOOD_METHOD.items() if key != "max_amount"},
]


async def test_bad_gateways_and_methods_write_nothing(payments: Payments) -> None:
    p = payments
    before = await p.counts()
    for body in BAD_GATEWAYS:
        problem(await p.v1(p.reseller, "POST", "/payment-gateways", json=body), 422)
    own = f"/payment-gateways/{p.own_transfer_gateway}"
    for body in BAD_METHODS:
        problem(await p.v1(p.reseller, "POST", f"{own}/methods", json=body), 422)
    # A transfer by hand has no channel list to import; nor does an unknown field pass.
    problem(await p.v1(p.reseller, "POST", f"{own}/import", json={}), 422)
    problem(await p.v1(p.reseller, "POST", f"{own}/import", json={"fee_paid_by": "x"}), 422)
    assert await p.counts() == before


async def test_an_agency_is_refused_every_resellers_endpoint(payments: Payments) -> None:
    p = payments
    before = await p.counts()
    own = f"/payment-gateways/{p.own_transfer_gateway}"
    for method, path, body in (
        ("GET", "/payment-gateways", None),
        ("POST", "/payment-gateways", {"kind": "manual", "name": "M"}),
        ("GET", f"{own}/methods", None),
        ("POST", f"{own}/methods", GOOD_METHOD),
        ("POST", f"{own}/import", {}),
        ("GET", "/agency-deposits", None),
        ("POST", "/agency-deposits/1/confirm", None),
        ("POST", "/agency-deposits/1/reject", {"reason": "no"}),
        ("GET", "/payment-reviews", None),
        ("POST", "/payment-reviews/1/resolve", {"outcome": "dismissed", "note": "no"}),
    ):
        problem(await p.v1(p.agency, method, path, json=body), 404)
    assert await p.counts() == before


# --- what a reseller receives ------------------------------------------------------------------


async def _agency_transfer(p: Payments, amount: int = 30_000) -> dict[str, Any]:
    answer = await p.v1(
        p.agency, "POST", "/deposits", json={"method_id": p.own_transfer, "amount": amount}
    )
    assert answer.status_code == 201, answer.text
    made: dict[str, Any] = answer.json()
    return made


async def test_a_reseller_confirms_its_agencys_transfer_from_its_own_wallet(
    payments: Payments,
) -> None:
    p = payments
    deposit = await _agency_transfer(p)
    theirs = await p.v1(
        p.stranger, "POST", "/deposits", json={"method_id": p.other_transfer, "amount": 40_000}
    )
    listed = await p.v1(p.reseller, "GET", "/agency-deposits")
    assert listed.status_code == 200, listed.text
    [row] = listed.json()["items"]
    assert (row["id"], row["account_name"], row["method_name"]) == (
        deposit["id"],
        "Agency A1",
        "BCA Reseller A",
    )
    assert listed.json()["held"] == {"count": 0, "total": "0", "currency": "IDR"}
    assert _ids_of(await p.v1(p.other, "GET", "/agency-deposits")) == [theirs.json()["id"]]

    before = await p.counts()
    confirmed = await p.v1(p.reseller, "POST", f"/agency-deposits/{deposit['id']}/confirm")
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "paid"
    assert (await p.counts())["journal"] == before["journal"] + 1
    credited = D(deposit["amount"])
    assert await p.balance(p.agency) == credited
    assert await p.balance(p.reseller) == D(100_000) - credited

    after = await p.counts()
    problem(await p.v1(p.reseller, "POST", f"/agency-deposits/{deposit['id']}/confirm"), 409)
    again = await p.v1(
        p.reseller, "POST", f"/agency-deposits/{deposit['id']}/reject", json={"reason": "late"}
    )
    problem(again, 409)
    # Another reseller's agency's transfer is not this reseller's to decide.
    problem(await p.v1(p.reseller, "POST", f"/agency-deposits/{theirs.json()['id']}/confirm"), 404)
    problem(await p.v1(p.reseller, "POST", "/agency-deposits/999999/confirm"), 404)
    assert await p.counts() == after
    assert await p.balance(p.agency) == credited


def _ids_of(response: Response) -> list[int]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def test_a_short_reseller_wallet_holds_the_deposit_with_an_alert(
    payments: Payments,
) -> None:
    p = payments
    deposit = await _agency_transfer(p, 200_000)  # the reseller holds 100 000
    held = await p.v1(p.reseller, "POST", f"/agency-deposits/{deposit['id']}/confirm")
    assert held.status_code == 200, held.text
    assert held.json()["status"] == "held"
    page = (await p.v1(p.reseller, "GET", "/agency-deposits", params={"status": "held"})).json()
    assert page["held"] == {"count": 1, "total": deposit["amount"], "currency": "IDR"}
    assert [d["id"] for d in page["items"]] == [deposit["id"]]
    assert await p.balance(p.agency) == 0
    assert await p.balance(p.reseller) == D(100_000)


async def test_a_reseller_rejects_a_transfer_with_a_reason(payments: Payments) -> None:
    p = payments
    deposit = await _agency_transfer(p)
    path = f"/agency-deposits/{deposit['id']}/reject"
    before = await p.counts()
    for body in ({}, {"reason": ""}, {"reason": "   "}, {"reason": "x", "why": "y"}, None):
        problem(await p.v1(p.reseller, "POST", path, json=body), 422)
    assert (await p.deposit(deposit["id"])).status.value == "pending"
    rejected = await p.v1(p.reseller, "POST", path, json={"reason": "tidak ada di mutasi"})
    assert rejected.status_code == 200, rejected.text
    assert (rejected.json()["status"], rejected.json()["note"]) == (
        "rejected",
        "tidak ada di mutasi",
    )
    assert (await p.counts())["journal"] == before["journal"]
    seen = await p.v1(p.agency, "GET", f"/deposits/{deposit['id']}")
    assert seen.json()["status"] == "rejected"


async def test_a_reseller_resolves_the_reviews_of_its_own_gateways_once(
    payments: Payments,
) -> None:
    p = payments
    deposit = await _agency_transfer(p)
    review_id = await p.review(deposit["id"])
    theirs = await p.v1(
        p.stranger, "POST", "/deposits", json={"method_id": p.other_transfer, "amount": 40_000}
    )
    other_review = await p.review(theirs.json()["id"])
    listed = await p.v1(p.reseller, "GET", "/payment-reviews")
    assert _ids(listed) == [review_id]
    assert listed.json()[0]["reason"] == "after_expiry"
    assert listed.json()[0]["deposit_reference"] == deposit["reference"]
    assert _ids(await p.v1(p.other, "GET", "/payment-reviews")) == [other_review]

    path = f"/payment-reviews/{review_id}/resolve"
    before = await p.counts()
    for body in (
        {"outcome": "credited"},
        {"outcome": "credited", "note": ""},
        {"outcome": "refunded", "note": "x"},
        {"outcome": "credited", "note": "x", "amount": "-1"},
        {"outcome": "credited", "note": "x", "amount": "0"},
        {"outcome": "credited", "note": "x", "extra": True},
    ):
        problem(await p.v1(p.reseller, "POST", path, json=body), 422)
    problem(
        await p.v1(
            p.reseller,
            "POST",
            f"/payment-reviews/{other_review}/resolve",
            json={"outcome": "dismissed", "note": "not mine"},
        ),
        404,
    )
    assert await p.counts() == before

    credited = await p.v1(
        p.reseller, "POST", path, json={"outcome": "credited", "note": "ada di mutasi"}
    )
    assert credited.status_code == 200, credited.text
    assert (credited.json()["outcome"], credited.json()["resolution"]) == (
        "credited",
        "ada di mutasi",
    )
    assert await p.balance(p.agency) == D(deposit["amount"])
    after = await p.counts()
    twice = await p.v1(p.reseller, "POST", path, json={"outcome": "credited", "note": "again"})
    problem(twice, 409)
    assert await p.counts() == after
    assert await p.balance(p.agency) == D(deposit["amount"])
    assert _ids(await p.v1(p.reseller, "GET", "/payment-reviews")) == []
    assert _ids(await p.v1(p.reseller, "GET", "/payment-reviews", params={"all": "true"})) == [
        review_id
    ]
