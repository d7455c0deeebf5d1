"""The committed OpenAPI document is the app's own: regenerate it with
`pasok openapi > openapi/openapi.json` whenever the API changes."""

from pathlib import Path

from panel.openapi import document

COMMITTED = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"


def test_committed_openapi_document_matches_the_app() -> None:
    assert COMMITTED.read_text() == document(), (
        "openapi/openapi.json is stale: run `pasok openapi > openapi/openapi.json`"
    )


def test_document_is_openapi_3_1_and_covers_the_admin_api() -> None:
    text = document()
    assert '"openapi": "3.1' in text
    assert '"/admin/v1/accounts/{account_id}/top-ups"' in text
