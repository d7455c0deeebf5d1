"""The REST API's reference, under the brand of the host asked for. On a reseller's host the
OpenAPI document and its Swagger UI page carry the reseller's name and describe only `/v1`:
an agency reading them learns neither the platform's name nor the operator's API.

Swagger UI's files are served from here, out of the fastapi-offline package, not a CDN: the
page's Content-Security-Policy (panel.plumbing.headers) lets it load script from its own host
alone."""

import json
import re
from importlib.resources import files
from typing import Any

from fastapi import Request
from fastapi.responses import FileResponse, Response

from panel.brands import by_host
from panel.errors import NotFound
from panel.plumbing import headers
from panel.plumbing.deps import RuntimeDep, SessionDep
from panel.web.pages import page_router, templates

router = page_router()
DOCUMENT = "/openapi.json"
ASSETS = "/docs/assets"
_SWAGGER_UI = files("fastapi_offline") / "static"
# The files the page loads, by name: nothing else of the package's folder is served.
_ASSET_TYPES = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css"}
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
    brand = await by_host.for_request(session, request, runtime.settings.web.brand_name)
    document = request.app.openapi()
    if brand.reseller_id is None:
        return Response(json.dumps(document), media_type="application/json")
    return Response(branded(document, brand.name), media_type="application/json")


@router.get("/docs")
async def swagger_ui(request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    brand = await by_host.for_request(session, request, runtime.settings.web.brand_name)
    # The brand's name is the reseller's to choose: the template escapes it, as every page does.
    return templates.TemplateResponse(
        request,
        "rest_docs.html",
        {
            "title": f"{brand.name} API",
            "document": DOCUMENT,
            "assets": ASSETS,
            "nonce": headers.nonce(request),
        },
    )


@router.get(ASSETS + "/{name}")
async def swagger_ui_asset(name: str) -> Response:
    media_type = _ASSET_TYPES.get(name)
    if media_type is None:
        raise NotFound("no such file")
    path = _SWAGGER_UI / name
    # The files change only with the package: a browser keeps them for a day.
    return FileResponse(
        str(path), media_type=media_type, headers={"cache-control": "public, max-age=86400"}
    )
