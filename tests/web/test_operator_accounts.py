"""Accounts in the operator's console, over HTTP: the list and its search, creating accounts
and operators, suspension, reset links, API keys, tiers and money; nobody else let in; and
every write, from the pages and from `/admin/v1` alike, in the action log."""

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest
from httpx import AsyncClient, Response
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from panel import action_log
from panel.accounts import service as accounts
from panel.keys import service as keys
from panel.models import (
    Account,
    AccountKind,
    AccountStatus,
    ApiKey,
    Invitation,
    Journal,
    OperatorAction,
    TierChange,
)
from panel.pricing import tiers
from tests.conftest import Operator
from tests.fixtures.factories import World
from tests.web.conftest import (
    AGENCY_EMAIL,
    HOST,
    RESELLER_EMAIL,
    Visitor,
    csrf_of,
    give_password,
    sign_in,
    wallets,
)

OPS_HOST = "ops.example"
OPERATOR_EMAIL = "ops@example.com"
ADMIN = "/admin/v1"


@pytest.fixture
async def staff(world: World, session: AsyncSession) -> Account:
    operator = await accounts.create(session, kind=AccountKind.operator, name="Ops")
    await give_password(session, operator, OPERATOR_EMAIL)
    return operator


@pytest.fixture
async def ops(staff: Account, visitor: Visitor) -> AsyncClient:
    """A visitor of the operator's host, reading English, signed in as the operator."""
    web = await visitor(OPS_HOST, english=True)
    assert (await sign_in(web, OPERATOR_EMAIL, OPS_HOST)).status_code == 303
    return web


async def post(web: AsyncClient, path: str, **form: str) -> Response:
    """A form of the console, sent with the CSRF token read off the accounts page."""
    token = csrf_of(await web.get("/ops/accounts"))
    return await web.post(path, data={**form, "csrf": token})


async def logged(session: AsyncSession, prefix: str = "") -> Sequence[OperatorAction]:
    return await action_log.search(session, action_log.Filter(action=prefix or None))


def ids(page: Response) -> list[int]:
    return [int(found) for found in re.findall(r'<li id="account-(\d+)"', page.text)]


async def test_non_operators_are_refused_on_every_page(
    world: World, staff: Account, visitor: Visitor, session: AsyncSession
) -> None:
    await give_password(session, world.reseller, RESELLER_EMAIL)
    reseller = await visitor(HOST, english=True)
    assert (await sign_in(reseller, RESELLER_EMAIL)).status_code == 303
    agency = await visitor(HOST, english=True)
    assert (await sign_in(agency, AGENCY_EMAIL)).status_code == 303
    stranger = await visitor(OPS_HOST, english=True)
    target = f"/ops/accounts/{world.agency.id}"
    reads = ["/ops/accounts", target, "/ops/actions?action=account."]
    writes = [
        "/ops/accounts",
        "/ops/operators",
        target + "/suspend",
        target + "/reactivate",
        target + "/reset-link",
        target + "/keys",
        target + "/tier",
        target + "/top-up",
        target + "/adjust",
    ]
    for web in (reseller, agency):
        token = csrf_of(await web.get("/orders"))
        for path in reads:
            assert (await web.get(path)).status_code == 404, path
        for path in writes:
            answer = await web.post(
                path, data={"csrf": token, "amount": "5", "reason": "x", "name": "N"}
            )
            assert answer.status_code == 404, path
    for path in reads:
        answer = await stranger.get(path)
        assert (answer.status_code, answer.headers["location"]) == (303, "/login")
    assert list(await logged(session)) == []
    assert await session.scalar(select(func.count()).select_from(Invitation)) == 0
    assert world.agency.status is AccountStatus.active


async def test_create_and_search_accounts(
    world: World, staff: Account, ops: AsyncClient, session: AsyncSession
) -> None:
    made = await post(ops, "/ops/accounts", kind="reseller", name="Toko Baru", email="Baru@x.id")
    assert made.status_code == 303, made.text
    reseller_id = int(made.headers["location"].rsplit("/", 1)[1])
    under = await post(
        ops, "/ops/accounts", kind="agency", name="Agen Baru", parent_id=str(reseller_id)
    )
    agency_id = int(under.headers["location"].rsplit("/", 1)[1])
    agency = await session.get_one(Account, agency_id)
    assert (agency.kind, agency.parent_id) == (AccountKind.agency, reseller_id)
    # An agency under an agency is refused by the same rule as /admin/v1, and makes nothing.
    refused = await post(
        ops, "/ops/accounts", kind="agency", name="Nope", parent_id=str(world.agency.id)
    )
    assert refused.status_code == 422
    assert "is not a reseller" in refused.text
    bad_email = await post(ops, "/ops/accounts", kind="reseller", name="X", email="x@")
    assert bad_email.status_code == 422
    assert await session.scalar(select(Account).where(Account.name == "X")) is None

    assert ids(await ops.get("/ops/accounts?q=baru")) == [agency_id, reseller_id]
    assert ids(await ops.get("/ops/accounts?q=baru@x.id")) == [reseller_id]
    assert ids(await ops.get(f"/ops/accounts?q=%23{world.agency.id}")) == [world.agency.id]
    assert ids(await ops.get("/ops/accounts?q=baru&kind=agency")) == [agency_id]
    everyone = ids(await ops.get("/ops/accounts"))
    assert staff.id not in everyone
    assert world.reseller.id in everyone
    await accounts.update(session, world.other_reseller.id, status=AccountStatus.suspended)
    assert ids(await ops.get("/ops/accounts?status=suspended")) == [world.other_reseller.id]

    created = await logged(session, "account.create")
    assert [(e.subject_id, e.actor_id) for e in created] == [
        (agency_id, staff.id),
        (reseller_id, staff.id),
    ]
    assert created[1].after is not None
    assert created[1].after["email"] == "baru@x.id"
    assert created[1].after["kind"] == "reseller"


async def test_suspend_and_reactivate(
    world: World, staff: Account, ops: AsyncClient, session: AsyncSession
) -> None:
    page = f"/ops/accounts/{world.agency.id}"
    assert (await post(ops, page + "/suspend")).status_code == 303
    assert await _status(session, world.agency) is AccountStatus.suspended
    assert "Suspended" in (await ops.get(page)).text
    assert (await post(ops, page + "/reactivate")).status_code == 303
    assert await _status(session, world.agency) is AccountStatus.active
    entries = await logged(session, "account.")
    assert [(e.action, e.before, e.after) for e in entries] == [
        (
            "account.reactivate",
            _with(world.agency, status="suspended"),
            _with(world.agency, status="active"),
        ),
        (
            "account.suspend",
            _with(world.agency, status="active"),
            _with(world.agency, status="suspended"),
        ),
    ]
    history = (await ops.get(page)).text
    assert history.index("account.reactivate") < history.index("account.suspend")


async def _status(session: AsyncSession, account: Account) -> AccountStatus:
    await session.refresh(account)
    return account.status


def _with(account: Account, **fields: Any) -> dict[str, Any]:
    return action_log.snapshot(account, accounts.SHOWN) | fields


async def test_reset_link_is_shown_once_and_logged_without_its_token(
    world: World, staff: Account, ops: AsyncClient, session: AsyncSession
) -> None:
    answer = await post(ops, f"/ops/accounts/{world.reseller.id}/reset-link")
    assert answer.status_code == 200
    found = re.search(r'id="one-time-link">(/join/[^<]+)<', answer.text)
    assert found, answer.text
    path = found.group(1)
    assert (await ops.get(f"/ops/accounts/{world.reseller.id}")).text.count(path) == 0
    [entry] = await logged(session, "account.reset_link")
    assert (entry.subject_id, entry.actor_id) == (world.reseller.id, staff.id)
    assert path.removeprefix("/join/") not in str(entry.before) + str(entry.after) + entry.note
    invitation = await session.scalar(
        select(Invitation).where(Invitation.account_id == world.reseller.id)
    )
    assert invitation is not None
    assert invitation.used_at is None


async def test_keys_issue_once_and_revoke(
    world: World, staff: Account, ops: AsyncClient, session: AsyncSession
) -> None:
    page = f"/ops/accounts/{world.reseller.id}"
    answer = await post(ops, page + "/keys", label="bot")
    found = re.search(r'id="new-key">([0-9a-f]{64})<', answer.text)
    assert found, answer.text
    plaintext = found.group(1)
    after = (await ops.get(page)).text
    assert plaintext not in after
    assert "<h2>API keys</h2>" in after
    [key] = await keys.list_for(session, world.reseller.id)
    assert key.label == "bot"
    assert (await post(ops, f"{page}/keys/{key.id}/revoke")).status_code == 303
    await session.refresh(key)
    assert key.revoked_at is not None
    # Another account's key is not revoked through this one's page.
    other = await keys.issue(session, world.agency, "theirs")
    assert (await post(ops, f"{page}/keys/{other.key.id}/revoke")).status_code == 404
    entries = await logged(session, "key.")
    assert [(e.action, e.subject_id) for e in entries] == [
        ("key.revoke", key.id),
        ("key.issue", key.id),
    ]
    for entry in entries:
        shown = str(entry.before) + str(entry.after)
        assert plaintext not in shown
        assert key.secret_hash not in shown
    assert entries[0].after is not None
    assert entries[0].after["revoked_at"] is not None


async def test_tier_and_its_history(
    world: World, staff: Account, ops: AsyncClient, session: AsyncSession
) -> None:
    gold = await tiers.create(session, name="Gold", min_spend_90d=Decimal(1000))
    before = world.reseller.tier_id
    page = f"/ops/accounts/{world.reseller.id}"
    assert (await post(ops, page + "/tier", tier_id=str(gold.id))).status_code == 303
    await session.refresh(world.reseller)
    assert world.reseller.tier_id == gold.id
    change = await session.scalar(
        select(TierChange).where(TierChange.account_id == world.reseller.id)
    )
    assert change is not None
    assert (change.from_tier_id, change.to_tier_id) == (before, gold.id)
    assert f'id="tier-change-{change.id}"' in (await ops.get(page)).text
    [entry] = await logged(session, "account.tier")
    assert entry.before is not None
    assert entry.after is not None
    assert (entry.before["tier_id"], entry.after["tier_id"]) == (before, gold.id)
    missing = await post(ops, page + "/tier", tier_id="999999")
    assert missing.status_code == 422
    assert len(await logged(session, "account.tier")) == 1


async def test_top_up_and_adjustment_need_a_reason(
    world: World, staff: Account, ops: AsyncClient, session: AsyncSession
) -> None:
    page = f"/ops/accounts/{world.reseller.id}"
    [start] = await wallets(session, world.reseller)
    journals = await session.scalar(select(func.count()).select_from(Journal))
    for path in ("/top-up", "/adjust"):
        refused = await post(ops, page + path, amount="10", reason="  ")
        assert refused.status_code == 422
        assert "reason" in refused.text
    assert await session.scalar(select(func.count()).select_from(Journal)) == journals
    assert await wallets(session, world.reseller) == [start]
    assert list(await logged(session, "money.")) == []

    assert (await post(ops, page + "/top-up", amount="25.5", reason="bank BCA")).status_code == 303
    answer = await post(ops, page + "/adjust", amount="5", direction="debit", reason="fee back")
    assert answer.status_code == 303
    assert await wallets(session, world.reseller) == [start + Decimal("20.5")]
    too_much = await post(ops, page + "/adjust", amount="99999", direction="debit", reason="x")
    assert too_much.status_code == 402
    shown = (await ops.get(page)).text
    statement = shown[shown.index('id="statement"') :]
    assert statement.index("fee back") < statement.index("bank BCA")
    entries = await logged(session, "money.")
    assert [(e.action, e.note, e.before, e.after and e.after["balance"]) for e in entries] == [
        (
            "money.adjust",
            "fee back",
            {"balance": _text(start + Decimal("25.5"))},
            _text(start + Decimal("20.5")),
        ),
        ("money.top_up", "bank BCA", {"balance": _text(start)}, _text(start + Decimal("25.5"))),
    ]


def _text(amount: Decimal) -> str:
    return format(amount.normalize(), "f")


async def test_a_further_operator_gets_a_one_time_link(
    staff: Account, ops: AsyncClient, session: AsyncSession
) -> None:
    answer = await post(ops, "/ops/operators", name="Second", email="Two@Example.com")
    assert answer.status_code == 200, answer.text
    assert re.search(r'id="one-time-link">/join/[^<]+<', answer.text)
    made = await session.scalar(select(Account).where(Account.email == "two@example.com"))
    assert made is not None
    assert made.kind is AccountKind.operator
    assert f'id="operator-{made.id}"' in (await ops.get("/ops/accounts")).text
    [entry] = await logged(session, "operator.")
    assert (entry.action, entry.subject_id, entry.actor_id) == (
        "operator.create",
        made.id,
        staff.id,
    )
    taken = await post(ops, "/ops/operators", name="Again", email="two@example.com")
    assert taken.status_code == 422
    bad = await post(ops, "/ops/operators", name="Bad", email="not-an-address")
    assert bad.status_code == 422
    assert len(await logged(session, "operator.")) == 1


async def test_admin_api_writes_are_logged_too(
    world: World, client: AsyncClient, operator: Operator, session: AsyncSession
) -> None:
    h, actor = operator.headers, operator.account.id

    async def call(method: str, path: str, body: dict[str, Any], status: int) -> Any:
        answer = await client.request(method, ADMIN + path, json=body, headers=h)
        assert answer.status_code == status, answer.text
        return answer.json()

    made = await call("POST", "/accounts", {"kind": "reseller", "name": "Via API"}, 201)
    rid = made["id"]
    await call("PATCH", f"/accounts/{rid}", {"status": "suspended"}, 200)
    await call("PATCH", f"/accounts/{rid}", {"status": "active"}, 200)
    gold = await tiers.create(session, name="Gold", min_spend_90d=Decimal(1))
    await call("PATCH", f"/accounts/{rid}", {"tier_id": gold.id}, 200)
    issued = await call("POST", f"/accounts/{rid}/keys", {"label": "k"}, 201)
    await call("POST", f"/keys/{issued['id']}/revoke", {}, 200)
    await call("POST", f"/accounts/{rid}/top-ups", {"amount": "10", "reason": "paid"}, 201)
    await call("POST", f"/accounts/{rid}/adjustments", {"amount": "-3", "reason": "fix"}, 201)
    await call("POST", f"/accounts/{rid}/adjustments", {"amount": "1", "reason": " "}, 422)
    link = await call("POST", f"/accounts/{rid}/sign-in-link", {}, 201)
    second = await call("POST", "/operators", {"name": "Two", "email": "two@example.com"}, 201)
    assert second["account"]["kind"] == "operator"
    assert second["path"].startswith("/join/")

    entries = await action_log.search(session, action_log.Filter(actor_id=actor))
    assert [(e.action, e.subject_type, e.subject_id) for e in reversed(entries)] == [
        ("account.create", "account", rid),
        ("account.suspend", "account", rid),
        ("account.reactivate", "account", rid),
        ("account.tier", "account", rid),
        ("key.issue", "api_key", issued["id"]),
        ("key.revoke", "api_key", issued["id"]),
        ("money.top_up", "account", rid),
        ("money.adjust", "account", rid),
        ("account.reset_link", "account", rid),
        ("operator.create", "account", second["account"]["id"]),
    ]
    everything = " ".join(str(e.before) + str(e.after) + e.note for e in entries)
    assert issued["key"] not in everything
    assert link["path"].removeprefix("/join/") not in everything
    assert second["path"].removeprefix("/join/") not in everything
    key = await session.get_one(ApiKey, issued["id"])
    assert key.secret_hash not in everything


async def test_the_action_log_page_searches_and_shows_what_changed(
    world: World, staff: Account, ops: AsyncClient, session: AsyncSession
) -> None:
    other = await accounts.create(session, kind=AccountKind.operator, name="Other")
    await accounts.update_by(session, other.id, world.reseller.id, name="Renamed")
    assert (await post(ops, f"/ops/accounts/{world.agency.id}/suspend")).status_code == 303
    [suspended] = await logged(session, "account.suspend")
    [renamed] = await logged(session, "account.rename")

    def shown(page: Response) -> list[int]:
        return [int(found) for found in re.findall(r'<li id="action-(\d+)"', page.text)]

    everything = await ops.get("/ops/actions")
    assert shown(everything) == [suspended.id, renamed.id]
    change = re.search(
        rf'id="action-{suspended.id}">.*?class="change"><strong>status</strong> (.*?)</small>',
        everything.text,
        re.S,
    )
    assert change, everything.text
    assert change.group(1) == "active → suspended"
    assert shown(await ops.get(f"/ops/actions?actor={other.id}")) == [renamed.id]
    assert shown(await ops.get("/ops/actions?action=account.s")) == [suspended.id]
    asked = f"/ops/actions?subject_type=account&subject_id={world.reseller.id}"
    assert shown(await ops.get(asked)) == [renamed.id]
    assert shown(await ops.get(f"/ops/actions?before={suspended.id}")) == [renamed.id]
    assert shown(await ops.get("/ops/actions?actor=nonsense&subject_id=x")) == [
        suspended.id,
        renamed.id,
    ]
    # The account's page shows its own history, and not another account's.
    assert shown(await ops.get(f"/ops/accounts/{world.agency.id}")) == [suspended.id]
