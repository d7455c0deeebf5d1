"""Dialect documents: the shipped ones load, and a malformed one is refused at load with the
line and the field that is wrong."""

import pytest

from panel.providers import dialect_doc
from panel.providers.adapter import OrderState, RefillState, RejectReason
from panel.providers.dialect_doc import DialectError

BASE = dialect_doc.shipped("medanpedia") or ""


def test_shipped_documents_load() -> None:
    assert dialect_doc.shipped_names() == ["irvankede", "medanpedia"]
    medan = dialect_doc.load(BASE)
    assert medan.status.words["success"] is OrderState.completed
    assert medan.refill_status
    assert medan.refill_status.words["error"] is RefillState.rejected
    assert medan.reasons[0] == ("sedang berjalan", RejectReason.link_busy)
    assert not medan.has("cancel")
    assert medan.actions["add"].id == "id"
    irvan = dialect_doc.load(dialect_doc.resolve("irvankede"))
    assert irvan.encoding == "json"
    assert irvan.has("status_many")
    assert ("secret_key", "{secret}") in irvan.auth
    assert dialect_doc.resolve("no such name") == "no such name"
    assert dialect_doc.shipped("../etc/passwd") is None


def _line(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


CASES = [
    # (what is changed, replaced by, field named, problem, line holding)
    ('"Success" = "completed"', '"Success" = "done"', '[status] words."Success"',
     'unknown state "done"; known: in_progress, completed', '"Success" = "done"'),
    ('"saldo" = "provider_funds"', '"saldo" = "money"', '[errors] saldo',
     'unknown reason "money"', '"saldo" = "money"'),
    ('path = "/order"', 'path = "order"', "[actions.add] path", 'must start with "/"',
     'path = "order"'),
    ('target = "{link}"', 'target = "{url}"', "[actions.add] fields.target",
     'unknown placeholder "{url}"', 'target = "{url}"'),
    ('encoding = "form"', 'encoding = "xml"', "[request] encoding", 'unknown value "xml"',
     'encoding = "xml"'),
    ('rate = "price"', 'rate = 5', "[services] rate", "must be a non-empty string", "rate = 5"),
    ('[actions.balance]\npath = "/profile"', '', "[actions] balance", "missing table",
     "[actions.services]"),
    ('currency = "IDR"', 'currency = "rupiah"', "currency", "three-letter code",
     'currency = "rupiah"'),
    ('api_key = "{key}"', 'api_key = "{api_id}"', "[request] auth", "{key}", "auth = {"),
    ('[status]\n', '[status]\ncolour = "red"\n', "[status] colour", "unknown field",
     'colour = "red"'),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "field", "problem", "at"), CASES, ids=[c[2] for c in CASES])
def test_malformed_document_names_line_and_field(
    old: str, new: str, field: str, problem: str, at: str
) -> None:
    assert old in BASE
    text = BASE.replace(old, new, 1)
    with pytest.raises(DialectError) as refused:
        dialect_doc.load(text)
    error = refused.value
    assert error.field == field
    assert problem in error.problem
    assert error.line == _line(text, at), str(error)
    assert str(error).startswith(f"line {error.line}: {field}: ")


def test_not_toml_names_the_line() -> None:
    text = BASE.replace('name = "medanpedia"', 'name = "medanpedia', 1)
    with pytest.raises(DialectError) as refused:
        dialect_doc.load(text)
    assert refused.value.line == _line(text, 'name = "medanpedia')
    assert "not TOML" in str(refused.value)
