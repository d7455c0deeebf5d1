"""A method a path does not answer is 405 problem JSON whose `Allow` names every method the
path does answer (RFC 9110 15.5.6), not only those of the first route that matched it."""

import pytest
from httpx import AsyncClient

from tests.conftest import Operator


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("OPTIONS", "/admin/v1/accounts", "GET, POST"),
        ("DELETE", "/admin/v1/providers", "GET, POST"),
        ("OPTIONS", "/admin/v1/providers/1", "PATCH"),
        ("PUT", "/v1/orders", "GET, POST"),
        ("TRACE", "/v1/webhooks", "GET, POST"),
        # Not GET: `mass` is no ticket id, though /tickets/{id} answers GET.
        ("OPTIONS", "/v1/tickets/mass", "POST"),
        ("OPTIONS", "/admin/v1/price-rules/apply", "POST"),
        ("OPTIONS", "/admin/v1/services/enabled", "POST"),
        ("OPTIONS", "/admin/v1/providers/check", "POST"),
    ],
)
async def test_allow_names_every_method_of_the_path(
    client: AsyncClient, operator: Operator, method: str, path: str, allowed: str
) -> None:
    response = await client.request(method, path, headers=operator.headers)
    assert response.status_code == 405, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["allow"] == allowed
