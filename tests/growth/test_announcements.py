"""Announcements, over HTTP and through the service: a reseller's reach its own agencies and
nobody else, the operator's every reseller and no agency; each stays on a reader's dashboard
until that reader marks it read; text is shown as text; news is queued once per reader on the
channels it has; the operator's writes are in the action log; bad input changes nothing."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from httpx import AsyncClient, Response
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from panel import action_log
from panel.accounts import service as accounts
from panel.errors import Forbidden, Invalid, NotFound
from panel.growth import announcements
from panel.keys import service as keys
from panel.models import (
    Account,
    AccountKind,
    Announcement,
    AnnouncementRead,
    Channel,
    Notification,
    NotificationTarget,
    OperatorAction,
    WebhookDelivery,
    WebhookEndpoint,
)
from tests.conftest import Operator
from tests.fixtures.factories import World
from tests.web.conftest import (  # noqa: F401
    AGENCY_EMAIL,
    OTHER_HOST,
    RESELLER_EMAIL,
    Visitor,
    csrf_of,
    give_password,
    sign_in,
    visitor,
    world,
)

ADMIN = "/admin/v1"
OPS_HOST = "ops.example"
OPERATOR_EMAIL = "ops@example.com"
SIBLING_EMAIL = "a2@example.com"
FOREIGN_EMAIL = "b1@example.com"
HOSTILE_TITLE = '<script>alert("t")</script> & co'
HOSTILE_BODY = "line one\n<img src=x onerror=alert(1)>"


async def _agency(session: AsyncSession, reseller: Account, name: str, email: str) -> Account:
    agency = await accounts.create(
        session, kind=AccountKind.agency, name=name, parent_id=reseller.id
    )
    await give_password(session, agency, email)
    return agency


async def _count(session: AsyncSession, model: type[object]) -> int:
    return await session.scalar(select(func.count()).select_from(model)) or 0


def _shown_ids(page: Response) -> list[int]:
    return [
        int(found)
        for found in re.findall(
            r'<section class="card announcement" id="announcement-(\d+)"', page.text
        )
    ]


# --- who reads what ------------------------------------------------------------------------------


async def test_each_announcement_reaches_its_own_audience_only(
    world: World,  # noqa: F811
    session: AsyncSession,
    client: AsyncClient,
) -> None:
    now = datetime.now(UTC)
    operator = await accounts.create(session, kind=AccountKind.operator, name="Ops")
    foreign = await _agency(session, world.other_reseller, "Foreign", FOREIGN_EMAIL)
    ours = await announcements.publish(session, world.reseller, "Harga naik", "Besok.", None, now)
    theirs = await announcements.publish(
        session, world.other_reseller, "Promo", "Diskon.", None, now
    )
    panel_wide = await announcements.publish(session, operator, "Maintenance", "02:00.", None, now)

    async def unread(reader: Account) -> list[int]:
        return [a.id for a in await announcements.unread(session, reader, now)]

    assert await unread(world.agency) == [ours.id]
    assert await unread(foreign) == [theirs.id]
    # Resellers hear from the operator only; an agency never does.
    assert await unread(world.reseller) == [panel_wide.id]
    assert await unread(world.other_reseller) == [panel_wide.id]
    assert await unread(operator) == []
    with pytest.raises(NotFound):
        await announcements.mark_read(session, foreign, ours.id, now)
    with pytest.raises(NotFound):
        await announcements.mark_read(session, world.agency, panel_wide.id, now)
    with pytest.raises(Forbidden):
        await announcements.publish(session, world.agency, "x", "y", None, now)
    # A reseller cannot withdraw another's, nor the operator's.
    with pytest.raises(NotFound):
        await announcements.withdraw(session, world.other_reseller, ours.id, now)
    with pytest.raises(NotFound):
        await announcements.withdraw(session, world.reseller, panel_wide.id, now)

    # The same over /v1: the foreign agency's list lacks ours, and ours does not exist for it.
    key = (await keys.issue(session, foreign)).plaintext
    await session.flush()
    headers = {"Authorization": f"Bearer {key}"}
    listed = await client.get("/v1/announcements", headers=headers)
    assert [a["id"] for a in listed.json()] == [theirs.id]
    refused = await client.post(f"/v1/announcements/{ours.id}/read", headers=headers)
    assert refused.status_code == 404
    read = await client.post(f"/v1/announcements/{theirs.id}/read", headers=headers)
    assert (read.status_code, read.json()["read"]) == (200, True)
    assert [a["read"] for a in (await client.get("/v1/announcements", headers=headers)).json()] == [
        True
    ]
    assert await unread(foreign) == []
    assert await _count(session, AnnouncementRead) == 1


async def test_expired_and_withdrawn_announcements_leave_the_dashboard(
    world: World,  # noqa: F811
    session: AsyncSession,
) -> None:
    now = datetime.now(UTC)
    short = await announcements.publish(
        session, world.reseller, "Today", "Only today.", now + timedelta(hours=1), now
    )
    kept = await announcements.publish(session, world.reseller, "Always", "Until read.", None, now)
    later = now + timedelta(hours=2)
    assert [a.id for a in await announcements.unread(session, world.agency, later)] == [kept.id]
    await announcements.withdraw(session, world.reseller, kept.id, later)
    assert await announcements.unread(session, world.agency, later) == []
    assert [a.id for a in await announcements.unread(session, world.agency, now)] == [short.id]


# --- the dashboard, in the browser's place -------------------------------------------------------


async def test_shown_until_its_reader_marks_it_read_and_only_for_that_reader(
    world: World,  # noqa: F811
    session: AsyncSession,
    visitor: Visitor,  # noqa: F811
) -> None:
    await _agency(session, world.reseller, "Sibling", SIBLING_EMAIL)
    await give_password(session, world.reseller, RESELLER_EMAIL)
    await _agency(session, world.other_reseller, "Foreign", FOREIGN_EMAIL)

    # The reseller writes from its console.
    reseller = await visitor()
    assert (await sign_in(reseller, RESELLER_EMAIL)).status_code == 303
    console = await reseller.get("/console/announcements")
    assert console.status_code == 200
    written = await reseller.post(
        "/console/announcements",
        data={
            "title": HOSTILE_TITLE,
            "body": HOSTILE_BODY.replace("\n", "\r\n"),
            "days": "7",
            "csrf": csrf_of(console),
        },
    )
    assert (written.status_code, written.headers["location"]) == (
        303,
        "/console/announcements?published=1",
    )
    [made] = (await session.scalars(select(Announcement))).all()
    assert (made.title, made.body, made.reseller_id) == (
        HOSTILE_TITLE,
        HOSTILE_BODY,
        world.reseller.id,
    )
    assert made.expires_at is not None
    assert timedelta(days=6, hours=23) < made.expires_at - datetime.now(UTC) <= timedelta(days=7)

    first, second, foreign = await visitor(), await visitor(), await visitor(OTHER_HOST)
    assert (await sign_in(first, AGENCY_EMAIL)).status_code == 303
    assert (await sign_in(second, SIBLING_EMAIL)).status_code == 303
    assert (await sign_in(foreign, FOREIGN_EMAIL, OTHER_HOST)).status_code == 303
    dashboard = await first.get("/")
    assert _shown_ids(dashboard) == [made.id]
    assert _shown_ids(await second.get("/")) == [made.id]
    assert _shown_ids(await foreign.get(f"http://{OTHER_HOST}/")) == []
    # Its reseller's own dashboard shows the operator's announcements, not its own.
    assert _shown_ids(await reseller.get("/")) == []

    # Text, never markup: on the reader's dashboard and on the author's console alike.
    for page in (dashboard, await reseller.get("/console/announcements")):
        assert "<script>alert" not in page.text
        assert "<img src=x" not in page.text
        assert "&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt; &amp; co" in page.text
        assert "&lt;img src=x onerror=alert(1)&gt;" in page.text

    # A form without this visit's token changes nothing.
    stale = await first.post(f"/announcements/{made.id}/read", data={"csrf": "forged"})
    assert stale.status_code == 403
    assert _shown_ids(await first.get("/")) == [made.id]
    # Another reseller's agency cannot mark it read either.
    foreign_page = await foreign.get(f"http://{OTHER_HOST}/")
    refused = await foreign.post(
        f"http://{OTHER_HOST}/announcements/{made.id}/read", data={"csrf": csrf_of(foreign_page)}
    )
    assert refused.status_code == 404

    read = await first.post(f"/announcements/{made.id}/read", data={"csrf": csrf_of(dashboard)})
    assert (read.status_code, read.headers["location"]) == (303, "/")
    assert _shown_ids(await first.get("/")) == []
    assert _shown_ids(await second.get("/")) == [made.id]  # its sibling has not read it
    console = await reseller.get("/console/announcements")
    assert "Dibaca 1 dari 2" in console.text

    # Agencies have no console to write from.
    assert (await first.get("/console/announcements")).status_code == 404
    assert (
        await first.post(
            "/console/announcements", data={"title": "x", "body": "y", "csrf": csrf_of(dashboard)}
        )
    ).status_code == 404


# --- the outbox ----------------------------------------------------------------------------------


async def test_news_is_queued_once_per_reader_on_the_channels_it_has(
    world: World,  # noqa: F811
    session: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = datetime.now(UTC)
    # Readers are told in batches; batches of two make these five readers three of them.
    monkeypatch.setattr(announcements, "BATCH", 2)
    telegram_only = await _agency(session, world.reseller, "Tele", "tele@example.com")
    session.add(
        NotificationTarget(account_id=telegram_only.id, email=False, telegram_chat_id="-1001")
    )
    both = await _agency(session, world.reseller, "Both", "both@example.com")
    session.add(NotificationTarget(account_id=both.id, email=True, telegram_chat_id="@kilat_news"))
    # `world.agency` has an email (the web fixtures give it one) and no target row: email.
    silent = await accounts.create(
        session, kind=AccountKind.agency, name="Silent", parent_id=world.reseller.id
    )
    foreign = await _agency(session, world.other_reseller, "Foreign", FOREIGN_EMAIL)
    hooks = []
    for owner in (silent, foreign, world.reseller):
        endpoint = WebhookEndpoint(
            account_id=owner.id, url="https://hooks.example.com/in", secret="whsec_" + "x" * 40
        )
        session.add(endpoint)
        hooks.append(endpoint)
    await session.flush()

    made = await announcements.publish(
        session, world.reseller, "Jam operasional", "Libur tanggal 25.", None, now
    )

    sent = (
        await session.execute(
            select(Notification.account_id, Notification.channel, Notification.address).where(
                Notification.event_key == f"announcement:{made.id}"
            )
        )
    ).all()
    assert sorted(sent) == sorted(
        [
            (world.agency.id, Channel.email, AGENCY_EMAIL),
            (telegram_only.id, Channel.telegram, "-1001"),
            (both.id, Channel.email, "both@example.com"),
            (both.id, Channel.telegram, "@kilat_news"),
        ]
    )
    [notification] = await session.scalars(
        select(Notification).where(Notification.account_id == world.agency.id)
    )
    # Under the brand the agency knows, never the panel's behind it.
    assert notification.subject == "[Toko Sosmed] Jam operasional"
    assert notification.body == "Jam operasional\n\nLibur tanggal 25.\n\n— Toko Sosmed"

    deliveries = (
        await session.scalars(
            select(WebhookDelivery).where(WebhookDelivery.event_type == "announcement.published")
        )
    ).all()
    # The silent agency's receiver only: not the foreign agency's, not the author's own.
    assert [d.endpoint_id for d in deliveries] == [hooks[0].id]
    body = json.loads(deliveries[0].body)
    assert (body["id"], body["type"]) == (f"ann_{made.id}", "announcement.published")
    assert body["data"]["announcement"] == {
        "id": made.id,
        "title": "Jam operasional",
        "body": "Libur tanggal 25.",
        "created_at": now.isoformat(),
        "expires_at": None,
    }

    # The operator's reaches resellers; none of the agencies.
    operator = await accounts.create(session, kind=AccountKind.operator, name="Ops")
    await give_password(session, world.reseller, RESELLER_EMAIL)
    panel_wide = await announcements.publish(session, operator, "Upgrade", "Sabtu.", None, now)
    told = (
        await session.execute(
            select(Notification.account_id, Notification.subject).where(
                Notification.event_key == f"announcement:{panel_wide.id}"
            )
        )
    ).all()
    assert told == [(world.reseller.id, "[Pasok] Upgrade")]
    hooked = await session.scalars(
        select(WebhookDelivery.endpoint_id).where(
            WebhookDelivery.body.contains(f"ann_{panel_wide.id}")
        )
    )
    assert list(hooked) == [hooks[2].id]


# --- the operator --------------------------------------------------------------------------------


async def test_the_operator_s_writes_are_in_the_action_log(
    world: World,  # noqa: F811
    session: AsyncSession,
    client: AsyncClient,
    operator: Operator,
    visitor: Visitor,  # noqa: F811
) -> None:
    expires = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    made = await client.post(
        f"{ADMIN}/announcements",
        json={"title": "Upgrade", "body": "Sabtu 02:00.", "expires_at": expires},
        headers=operator.headers,
    )
    assert made.status_code == 201, made.text
    shown = made.json()
    assert (shown["title"], shown["read_by"], shown["withdrawn_at"]) == ("Upgrade", 0, None)
    withdrawn = await client.post(
        f"{ADMIN}/announcements/{shown['id']}/withdraw", headers=operator.headers
    )
    assert withdrawn.json()["withdrawn_at"] is not None

    # And from the console, signed in as another operator.
    staff = await accounts.create(session, kind=AccountKind.operator, name="Staff")
    await give_password(session, staff, OPERATOR_EMAIL)
    ops = await visitor(OPS_HOST, english=True)
    assert (await sign_in(ops, OPERATOR_EMAIL, OPS_HOST)).status_code == 303
    page = await ops.get("/ops/announcements")
    assert page.status_code == 200
    assert "Read by 0 of 2" in page.text
    posted = await ops.post(
        "/ops/announcements",
        data={"title": "Libur", "body": "25 Desember.", "days": "", "csrf": csrf_of(page)},
    )
    assert posted.status_code == 303

    entries = await action_log.search(session, action_log.Filter(action="announcement."))
    logged = [(e.action, e.actor_id, e.subject_id) for e in reversed(entries)]
    [console_made] = [
        a["id"]
        for a in (await client.get(f"{ADMIN}/announcements", headers=operator.headers)).json()
        if a["title"] == "Libur"
    ]
    assert logged == [
        ("announcement.publish", operator.account.id, shown["id"]),
        ("announcement.withdraw", operator.account.id, shown["id"]),
        ("announcement.publish", staff.id, console_made),
    ]
    first = entries[-1]
    assert first.after == {
        "title": "Upgrade",
        "body": "Sabtu 02:00.",
        "expires_at": datetime.fromisoformat(expires).isoformat(),
        "withdrawn_at": None,
    }
    # Resellers read the live one on their dashboards; the withdrawn one is gone.
    assert [
        a.title for a in await announcements.unread(session, world.reseller, datetime.now(UTC))
    ] == ["Libur"]


# --- bad input -----------------------------------------------------------------------------------


async def test_bad_input_is_refused_with_a_reason_and_nothing_is_written(
    world: World,  # noqa: F811
    session: AsyncSession,
    client: AsyncClient,
    operator: Operator,
    visitor: Visitor,  # noqa: F811
) -> None:
    now = datetime.now(UTC)
    for body, said in (
        ({"title": " ", "body": "x"}, "title"),
        ({"title": "x", "body": "y" * 4001}, "body"),
        (
            {"title": "x", "body": "y", "expires_at": (now - timedelta(hours=1)).isoformat()},
            "an expiry must be in the future",
        ),
        (
            {"title": "x", "body": "y", "expires_at": (now + timedelta(days=400)).isoformat()},
            "at most 365 days",
        ),
        ({"title": "x", "body": "y", "expires_at": "2027-01-01T00:00:00"}, "expires_at"),
        ({"title": "x", "body": "y", "audience": "agencies"}, "audience"),
    ):
        answer = await client.post(f"{ADMIN}/announcements", json=body, headers=operator.headers)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert said in answer.text, answer.text
    for title, text in (("a" * 121, "b"), ("t", "\x07bell"), ("t", " \n\t ")):
        with pytest.raises(Invalid):
            announcements.checked(title, text, None, now)

    await give_password(session, world.reseller, RESELLER_EMAIL)
    reseller = await visitor()
    assert (await sign_in(reseller, RESELLER_EMAIL)).status_code == 303
    console = await reseller.get("/console/announcements")
    token = csrf_of(console)
    for form, said in (
        ({"title": "   ", "body": "Isi"}, "Isi judulnya."),
        ({"title": "Judul", "body": "\r\n  "}, "Isi teks pengumumannya."),
        ({"title": "Judul", "body": "Isi", "days": "abc"}, "Lama tampil adalah angka 1 sampai 365"),
        ({"title": "Judul", "body": "Isi", "days": "366"}, "Lama tampil adalah angka 1 sampai 365"),
        ({"title": "Judul", "body": "x" * 4001}, "Teks paling banyak 4000 karakter."),
    ):
        answer = await reseller.post("/console/announcements", data={**form, "csrf": token})
        assert answer.status_code == 422, form
        assert said in answer.text, answer.text
        # What was typed is kept in the form, to fix rather than type again.
        assert f'value="{form["title"]}"' in answer.text
    answer = await reseller.post(
        "/console/announcements", data={"title": "Judul", "body": "Isi", "csrf": "forged"}
    )
    assert answer.status_code == 403

    for model in (Announcement, Notification, WebhookDelivery, OperatorAction):
        assert await _count(session, model) == 0, model
