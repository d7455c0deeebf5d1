"""The REST API's reference, under the brand of the host asked for. On a reseller's host the
OpenAPI document and its Swagger UI page carry the reseller's name and describe only `/v1`:
an agency reading them learns neither the platform's name nor the operator's API."""

import json
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response

from panel.deps import RuntimeDep, SessionDep
from panel.web import brands

router = APIRouter(include_in_schema=False)
DOCUMENT = "/openapi.json"
# The platform's name in prose; the webhook header keeps its name, clients check it by name.
_PLATFORM = re.compile(r"\bPasok\b(?!-Signature)")


def branded(document: dict[str, Any], brand_name: str) -> str:
    """The document as a reseller's agencies see it: `/v1` only, under the brand's name."""
    paths = {path: item for path, item in document["paths"].items() if path.startswith("/v1/")}
    shown = {
        **document,
        "info": {"title": f"{brand_name} API", "version": document["info"]["version"]},
        "paths": paths,
    }
    # The name goes into JSON text: escaped as JSON would escape it.
    escaped = json.dumps(brand_name)[1:-1]
    return _PLATFORM.sub(lambda _: escaped, json.dumps(shown))


@router.get(DOCUMENT)
async def openapi_document(request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    brand = await brands.for_request(session, request, runtime.settings.web.brand_name)
    document = request.app.openapi()
    if brand.reseller_id is None:
        return Response(json.dumps(document), media_type="application/json")
    return Response(branded(document, brand.name), media_type="application/json")


@router.get("/docs")
async def swagger_ui(request: Request, session: SessionDep, runtime: RuntimeDep) -> HTMLResponse:
    brand = await brands.for_request(session, request, runtime.settings.web.brand_name)
    return get_swagger_ui_html(openapi_url=DOCUMENT, title=f"{brand.name} API")
