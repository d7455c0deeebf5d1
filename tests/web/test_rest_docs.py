"""The REST API's reference under each host's brand: a reseller's agencies read `/v1` under the
reseller's name; the operator's host shows the whole document."""

import json
from pathlib import Path

from httpx import AsyncClient

from tests.fixtures.factories import World

COMMITTED = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"


async def test_a_brand_host_shows_v1_under_the_brand(world: World, web: AsyncClient) -> None:
    answer = await web.get("http://a.example/openapi.json")
    assert answer.status_code == 200
    document = answer.json()
    assert document["info"]["title"] == "Toko Sosmed API"
    assert document["paths"]
    assert all(path.startswith("/v1/") for path in document["paths"])
    text = json.dumps(document)
    assert "Pasok-Signature" in text  # the webhook header keeps its name
    assert "Pasok" not in text.replace("Pasok-Signature", "")
    page = await web.get("http://a.example/docs")
    assert "<title>Toko Sosmed API</title>" in page.text
    assert "Pasok" not in page.text


async def test_the_operator_host_shows_the_whole_document(world: World, web: AsyncClient) -> None:
    document = (await web.get("http://ops.example/openapi.json")).json()
    assert document["info"]["title"] == "Pasok"
    assert any(path.startswith("/admin/v1/") for path in document["paths"])
    assert document == json.loads(COMMITTED.read_text())
    assert "<title>Pasok API</title>" in (await web.get("http://ops.example/docs")).text
