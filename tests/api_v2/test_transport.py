"""How requests reach /api/v2: every transport the standard's clients use gives the same answer,
and every answer, error or not, is 200 JSON."""

import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from httpx import AsyncClient, Response

from panel.orders import intake
from tests.fixtures.world import API, D, World

Send = Callable[[AsyncClient, dict[str, str]], Awaitable[Response]]


async def form(client: AsyncClient, params: dict[str, str]) -> Response:
    return await client.post(API, data=params)


async def json_body(client: AsyncClient, params: dict[str, str]) -> Response:
    return await client.post(API, json=params)


async def multipart(client: AsyncClient, params: dict[str, str]) -> Response:
    # `files` makes httpx send multipart/form-data, as PHP's curl does with an array body.
    return await client.post(API, data=params, files={"unused": ("note.txt", b"x")})


async def query(client: AsyncClient, params: dict[str, str]) -> Response:
    return await client.get(API, params=params)


TRANSPORTS = pytest.mark.parametrize(
    "send", [form, json_body, multipart, query], ids=["form", "json", "multipart", "query"]
)


def answer(response: Response) -> Any:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


@TRANSPORTS
async def test_balance_by_every_transport(world: World, send: Send) -> None:
    response = await send(world.panel.client, {"key": world.reseller.key, "action": "balance"})
    assert answer(response) == {"balance": "100", "currency": "USD"}


@TRANSPORTS
async def test_add_by_every_transport(world: World, send: Send) -> None:
    params = {
        "key": world.reseller.key,
        "action": "add",
        "service": str(world.followers),
        "link": "https://instagram.com/pasok",
        "quantity": "1000",
    }
    order = answer(await send(world.panel.client, params))
    assert set(order) == {"order"}
    assert isinstance(order["order"], int)
    row = await world.panel.row("order", order["order"])
    assert (row["link"], row["quantity"], row["charge"]) == (
        "https://instagram.com/pasok",
        1000,
        D("1.2"),
    )
    assert await world.panel.balance(world.reseller) == D("98.8")


async def test_key_in_the_x_api_key_header(world: World) -> None:
    response = await world.panel.client.post(
        API, data={"action": "balance"}, headers={"X-Api-Key": world.other.key}
    )
    assert answer(response) == {"balance": "50", "currency": "USD"}


async def test_key_parameter_is_read_before_the_header(world: World) -> None:
    response = await world.panel.client.post(
        API,
        data={"action": "balance", "key": world.other.key},
        headers={"X-Api-Key": world.reseller.key},
    )
    assert answer(response) == {"balance": "50", "currency": "USD"}


async def test_the_body_wins_over_the_query_string(world: World) -> None:
    response = await world.panel.client.post(
        API,
        params={"action": "services", "key": "not-a-key"},
        data={"action": "balance", "key": world.reseller.key},
    )
    assert answer(response) == {"balance": "100", "currency": "USD"}


async def test_query_string_fills_what_the_body_leaves_out(world: World) -> None:
    response = await world.panel.client.post(
        API, params={"key": world.reseller.key}, data={"action": "balance"}
    )
    assert answer(response) == {"balance": "100", "currency": "USD"}


async def test_unknown_parameters_are_ignored(world: World) -> None:
    response = await world.panel.client.post(
        API,
        data={"key": world.reseller.key, "action": "balance", "currency": "EUR", "x": "1"},
    )
    assert answer(response) == {"balance": "100", "currency": "USD"}


async def test_json_numbers_are_read_as_their_text(world: World) -> None:
    body = {
        "key": world.reseller.key,
        "action": "add",
        "service": world.followers,
        "link": "https://instagram.com/pasok",
        "quantity": 100,
        "nested": {"ignored": True},
    }
    order = answer(await world.panel.client.post(API, json=body))
    assert (await world.panel.row("order", order["order"]))["quantity"] == 100


async def test_a_form_body_without_content_type_is_read(world: World) -> None:
    body = f"key={world.reseller.key}&action=balance".encode()
    response = await world.panel.client.post(API, content=body)
    assert answer(response) == {"balance": "100", "currency": "USD"}


async def test_a_form_in_raw_utf8_is_read_as_utf8(world: World) -> None:
    """Not only percent-escaped: scripts that build the body by hand send the bytes as they are."""
    body = (
        f"key={world.reseller.key}&action=add&service={world.followers}"
        "&link=https%3A%2F%2Finstagram.com%2Fpasok&quantity=100&request_id=pesanan-ñ-1"
    ).encode()
    response = await world.panel.client.post(
        API, content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    order = answer(response)
    assert (await world.panel.row("order", order["order"]))["request_id"] == "pesanan-ñ-1"


async def test_more_fields_than_any_action_takes_is_an_incorrect_request(world: World) -> None:
    fields = {"key": world.reseller.key, "action": "balance"} | {f"x{n}": "1" for n in range(999)}
    async with world.panel.unchanged():
        assert answer(await world.panel.client.post(API, data=fields)) == {
            "error": "Incorrect request"
        }
    del fields["x0"]  # a thousand fields in all: still read
    assert answer(await world.panel.client.post(API, data=fields)) == {
        "balance": "100",
        "currency": "USD",
    }


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS"])
@pytest.mark.parametrize("path", [API, f"{API}/"])
async def test_other_methods_are_refused_in_the_protocols_shape(
    world: World, method: str, path: str
) -> None:
    """200 {"error": ...} like any refusal (api-v2.md "Transport"), even for an `add` that
    would be accepted over POST: nothing is read, nothing is written."""
    params = {
        "key": world.reseller.key,
        "action": "add",
        "service": str(world.followers),
        "link": "https://instagram.com/pasok",
        "quantity": "1000",
    }
    async with world.panel.unchanged():
        response = await world.panel.client.request(method, path, data=params)
    assert answer(response) == {"error": "Incorrect request"}
    assert response.headers["allow"] == "GET, POST"


async def test_every_answer_carries_a_request_id_and_big_ones_travel_compressed(
    world: World,
) -> None:
    """API v2 is answered ahead of FastAPI's routing, through the same middleware as the rest."""
    small = await world.panel.client.post(
        API, data={"key": world.reseller.key, "action": "balance"}
    )
    assert len(small.headers["x-request-id"]) == 32
    assert "content-encoding" not in small.headers
    given = await world.panel.client.post(
        API,
        data={"key": world.reseller.key, "action": "balance"},
        headers={"X-Request-Id": "script-42"},
    )
    assert given.headers["x-request-id"] == "script-42"
    ids = ",".join(str(n) for n in range(900_001, 900_101))
    big = await world.panel.client.post(
        API,
        data={"key": world.reseller.key, "action": "status", "orders": ids},
        headers={"Accept-Encoding": "gzip"},
    )
    assert big.headers["content-encoding"] == "gzip"
    assert int(big.headers["content-length"]) < len(big.content) / 10
    assert big.json()["900001"] == {"error": "Incorrect order ID"}


async def test_trailing_slash_is_the_same_endpoint(world: World) -> None:
    response = await world.panel.client.post(
        "/api/v2/", data={"key": world.reseller.key, "action": "balance"}
    )
    assert answer(response) == {"balance": "100", "currency": "USD"}


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"key": "abc", "action": ', "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b'"balance"', "application/json"),
        (b"\xff\xfe not utf-8", "application/json"),
        (b'{"action": "balance"', ""),
    ],
    ids=["truncated", "array", "string", "binary", "untyped"],
)
async def test_malformed_json_is_an_incorrect_request(
    world: World, body: bytes, content_type: str
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    async with world.panel.unchanged():
        response = await world.panel.client.post(API, content=body, headers=headers)
        assert answer(response) == {"error": "Incorrect request"}


async def test_malformed_multipart_is_an_incorrect_request(world: World) -> None:
    response = await world.panel.client.post(
        API,
        content=b"--nope\r\nContent-Disposition: form-data\r\n\r\nbroken",
        headers={"Content-Type": "multipart/form-data"},
    )
    assert answer(response) == {"error": "Incorrect request"}


async def test_action_is_read_without_case_or_surrounding_blanks(world: World) -> None:
    response = await world.panel.client.post(
        API, data={"key": world.reseller.key, "action": " Balance\n"}
    )
    assert answer(response) == {"balance": "100", "currency": "USD"}


@pytest.mark.parametrize("action", ["", "neworder", "balance2", "services;drop"])
async def test_unknown_action_is_an_incorrect_request(world: World, action: str) -> None:
    response = await world.panel.client.post(
        API, data={"key": world.reseller.key, "action": action}
    )
    assert answer(response) == {"error": "Incorrect request"}


async def test_missing_action_is_an_incorrect_request(world: World) -> None:
    response = await world.panel.client.post(API, data={"key": world.reseller.key})
    assert answer(response) == {"error": "Incorrect request"}


async def test_errors_are_200_json_whatever_the_transport(world: World) -> None:
    for response in (
        await world.panel.client.get(API),
        await world.panel.client.post(API),
        await world.panel.client.post(API, json={"action": "balance", "key": "wrong"}),
        await world.panel.client.get(API, params={"action": "status", "key": world.reseller.key}),
    ):
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert set(response.json()) == {"error"}


async def test_an_unexpected_failure_rolls_back_and_answers_200(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fault after the order was written, while it is being paid for, leaves neither
    behind."""

    async def broken_ledger(*args: object, **kwargs: object) -> None:
        raise RuntimeError("ledger unavailable")

    monkeypatch.setattr(intake, "post_many", broken_ledger)
    async with world.panel.unchanged():
        response = await world.panel.client.post(
            API,
            data={
                "key": world.reseller.key,
                "action": "add",
                "service": str(world.followers),
                "link": "https://instagram.com/pasok",
                "quantity": "1000",
            },
        )
        assert answer(response) == {"error": "Incorrect request"}


async def test_the_answer_is_compact_json_with_strings_for_money(world: World) -> None:
    response = await world.panel.client.post(
        API, data={"key": world.reseller.key, "action": "balance"}
    )
    assert json.loads(response.content) == {"balance": "100", "currency": "USD"}
    assert response.content == b'{"balance":"100","currency":"USD"}'


@pytest.mark.parametrize("surface", ["api_v2", "v1"])
async def test_the_services_list_is_kept_compressed_and_sent_as_the_client_accepts(
    world: World, surface: str
) -> None:
    """A client that accepts gzip gets the kept gzip copy, one that does not the plain list:
    the same JSON either way, each marked as varying by Accept-Encoding."""

    async def services(accept: str) -> Response:
        headers = {"Accept-Encoding": accept}
        if surface == "api_v2":
            return await world.panel.client.post(
                API, data={"key": world.reseller.key, "action": "services"}, headers=headers
            )
        return await world.panel.v1(world.reseller, "GET", "/services", headers=headers)

    for number in range(10):
        await world.panel.service(name=f"Views {number}", description="Real views " * 10)
    plain = await services("identity")
    packed = await services("gzip, deflate")
    again = await services("gzip")
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "gzip"
    assert plain.headers["vary"] == packed.headers["vary"] == "Accept-Encoding"
    assert int(packed.headers["content-length"]) < len(plain.content) / 3
    # httpx has decoded the gzip copy: it is the plain list, byte for byte.
    assert packed.content == plain.content == again.content
    assert len(plain.json()) == 12
    assert again.headers["content-length"] == packed.headers["content-length"]
