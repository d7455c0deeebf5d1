"""The one reading of a typed host name that every stored host goes through."""

import pytest

from panel.brands.host_names import BadHost, host_name, in_development


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("panel.example.co.id", "panel.example.co.id"),
        ("  Panel.Example.CO.ID.  ", "panel.example.co.id"),
        ("https://panel.example.co.id/", "panel.example.co.id"),
        ("http://Panel.Example.co.id/login?next=/#top", "panel.example.co.id"),
        ("panel.example.co.id/orders", "panel.example.co.id"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("localhost", "localhost"),
        ("toko.localhost", "toko.localhost"),
    ],
)
def test_what_a_reseller_types_is_kept_as_the_host(typed: str, kept: str) -> None:
    assert host_name(typed) == kept


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("ftp://panel.example.co.id", "scheme"),
        ("203.0.113.7", "address"),
        ("http://127.0.0.1:8000/", "address"),
        ("::1", "address"),
        ("[2001:db8::1]:443", "address"),
        ("panel.example.co.id:8443", "port"),
        ("localhost:8000", "port"),
        ("toko sosmed.id", "not_host"),
        ("toko_sosmed.id", "not_host"),
        ("-toko.id", "not_host"),
        ("toko", "not_host"),
        ("999.1", "not_host"),
        ("admin@panel.example.co.id", "not_host"),
        ("a" * 64 + ".example", "not_host"),
        (("a" * 60 + ".") * 5 + "id", "not_host"),
    ],
)
def test_what_cannot_be_a_brands_host_is_refused(typed: str, reason: str) -> None:
    with pytest.raises(BadHost) as refused:
        host_name(typed)
    assert refused.value.reason == reason
    assert refused.value.status_code == 422


def test_a_port_is_taken_and_dropped_only_in_development() -> None:
    assert host_name("localhost:8000", development=True) == "localhost"
    assert host_name("http://localhost:8000/login", development=True) == "localhost"
    for typed in ("localhost:0", "localhost:65536", "localhost:80a", "localhost:"):
        with pytest.raises(BadHost) as refused:
            host_name(typed, development=True)
        assert refused.value.reason == "bad_port"
    assert [in_development(name) for name in ("development", " Dev ", "local")] == [True] * 3
    assert [in_development(name) for name in ("production", "test", "staging", "")] == [False] * 4


def test_a_refusal_says_what_to_type_in_each_language() -> None:
    with pytest.raises(BadHost) as refused:
        host_name("panel.example.co.id:8443")
    assert refused.value.detail == "Type “panel.example.co.id” without the port (“:8443”)."
    assert refused.value.said("id") == "Ketik “panel.example.co.id” tanpa port (“:8443”)."
