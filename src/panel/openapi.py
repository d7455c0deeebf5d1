"""The app's OpenAPI document as committed under `openapi/`: stable key order, one trailing
newline, so a drift shows as a plain diff."""

import json

from panel.app import create_app
from panel.config import Settings


def document() -> str:
    # Building the app needs no database: the document comes from the routes alone.
    app = create_app(Settings())
    return json.dumps(app.openapi(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
