"""The host names a brand answers on, read as a reseller types them. Every place that stores a
host (the console's brand form, the operator's /admin/v1 brand, the demo) reads it here, so
one rule decides what a brand can answer on.

A host is kept as the Host header of a visit names it, less the port (`panel.brands.host_of`
drops it): lowercase, in ASCII (an IDN as punycode), without a trailing dot. What a reseller
pastes from the address bar, `https://Panel.Example.co.id/login`, is read as the host in it.

An IP address is refused: the Host header carries one only when a visitor types the server's
own address, which every brand on that server shares, and the operator's panel is what such a
visit should show. `localhost` (and names under it) is accepted anywhere: only the machine
itself reaches it, and the demo's brand lives there. A port is accepted only in development,
where panels run on `localhost:8000`; it is dropped, since any port of the server shows the
same brand."""

import ipaddress
import re

import idna

from panel.errors import Invalid

# `PASOK_ENVIRONMENT` values that mean a panel on a developer's own machine.
DEVELOPMENT = frozenset({"development", "dev", "local"})
_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*)://", re.I)
MAX_LENGTH = 253
EXAMPLE = "panel.example.co.id"

# Why a typed host was refused, by reason, in each language of the web panel.
REFUSALS: dict[str, dict[str, str]] = {
    "en": {
        "empty": "Type a host name, e.g. {example}.",
        "scheme": "“{text}” is not a web address. Type only the host name, e.g. {example}.",
        "address": "“{text}” is an IP address. Type a host name, e.g. {example}.",
        "port": "Type “{host}” without the port (“:{port}”).",
        "bad_port": "The port number in “{text}” is not valid.",
        "not_host": "“{text}” is not a host name. Type one like {example}.",
    },
    "id": {
        "empty": "Ketik nama host, mis. {example}.",
        "scheme": "“{text}” bukan alamat web. Ketik nama host-nya saja, mis. {example}.",
        "address": "“{text}” adalah alamat IP. Ketik nama host, mis. {example}.",
        "port": "Ketik “{host}” tanpa port (“:{port}”).",
        "bad_port": "Nomor port pada “{text}” tidak valid.",
        "not_host": "“{text}” bukan nama host. Ketik nama host seperti {example}.",
    },
}


class BadHost(Invalid):
    """A typed host that cannot be one; `said(lang)` tells its writer why and what to type."""

    def __init__(self, reason: str, text: str, host: str = "", port: str = "") -> None:
        self.reason, self.text, self.host, self.port = reason, text, host, port
        super().__init__(self.said("en"), host=text)

    def said(self, lang: str) -> str:
        words = REFUSALS.get(lang, REFUSALS["en"])
        return words[self.reason].format(
            text=self.text, host=self.host, port=self.port, example=EXAMPLE
        )


def in_development(environment: str) -> bool:
    """Whether `PASOK_ENVIRONMENT` names a panel on a developer's machine."""
    return environment.strip().lower() in DEVELOPMENT


def host_name(typed: str, *, development: bool = False) -> str:
    """The host `typed` names, as a brand keeps it; `BadHost` for anything else."""
    text = typed.strip()
    if not text:
        raise BadHost("empty", typed)
    rest = text
    if scheme := _SCHEME.match(rest):
        if scheme.group(1).lower() not in ("http", "https"):
            raise BadHost("scheme", text)
        rest = rest[scheme.end() :]
    # A pasted address: its path, query or fragment, and any user name, are not the host.
    rest = re.split(r"[/?#]", rest, maxsplit=1)[0]
    if "@" in rest:
        raise BadHost("not_host", text)
    if rest.startswith("["):
        raise BadHost("address", text)  # an IPv6 address, with or without a port
    host, port = rest, ""
    if rest.count(":") == 1:
        host, port = rest.split(":")
    elif ":" in rest:
        raise BadHost("address", text)  # an IPv6 address
    host = host.rstrip(".").lower()
    if _is_address(host):
        raise BadHost("address", text)
    if port:
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise BadHost("bad_port", text)
        if not development:
            raise BadHost("port", text, host=host, port=port)
    elif ":" in rest:
        raise BadHost("bad_port", text)  # `localhost:`, a colon with no port
    try:
        ascii_host = idna.encode(host, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        raise BadHost("not_host", text) from None
    labels = ascii_host.split(".")
    if (
        len(ascii_host) > MAX_LENGTH
        or not all(_LABEL.fullmatch(label) for label in labels)
        or labels[-1].isdigit()
        or (len(labels) < 2 and ascii_host != "localhost")
    ):
        raise BadHost("not_host", text)
    return ascii_host


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
