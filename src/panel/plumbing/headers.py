"""The security headers of every answer FastAPI gives: web pages, /docs, error pages and the
REST API alike, set in this one place.

An HTML answer gets a Content-Security-Policy that lets no script run but the app's own files
and the inline blocks that carry this answer's nonce: a brand name, an order link or a service
description that slipped into the markup unescaped could not run script on a brand's host, nor
could an inline event handler or a `javascript:` link. Every answer gets `nosniff`, a referrer
that stays on its own origin (invitation and sign-in links carry their token in the path) and
a refusal to be framed.

API v2 is answered ahead of FastAPI (panel.app.Panel) and does not pass through here: its
answers are JSON for scripts, never rendered by a browser, and its hot path stays as it was.
"""

import secrets

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

NONCE = "panel.csp_nonce"  # the scope key of this answer's nonce, once a page has asked for one

HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
)


def nonce(request: Request) -> str:
    """This answer's CSP nonce, for the inline `<script>` and `<style>` blocks of its page."""
    scope = request.scope
    if NONCE not in scope:
        scope[NONCE] = secrets.token_urlsafe(18)
    value: str = scope[NONCE]
    return value


def policy(nonce_: str | None) -> str:
    """The Content-Security-Policy of an HTML answer whose page was given `nonce_`, if any."""
    inline = f" 'nonce-{nonce_}'" if nonce_ else ""
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self'{inline}",
            # The pages' <style> block carries the nonce; the few style="" attributes on
            # them (a width, a word-break) are allowed, as an attribute can hold no script.
            f"style-src 'self'{inline}",
            "style-src-attr 'unsafe-inline'",
            # A brand's logo may live on any web host; Swagger UI draws its icons as data: URLs.
            "img-src 'self' data: https: http:",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


class SecurityHeaders:
    """Adds `HEADERS` to every answer, and the policy to every HTML one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                names = {name.lower() for name, _ in headers}
                headers.extend(header for header in HEADERS if header[0] not in names)
                content_type = next(
                    (value for name, value in headers if name.lower() == b"content-type"), b""
                )
                if content_type.startswith(b"text/html"):
                    csp = policy(scope.get(NONCE))
                    headers.append((b"content-security-policy", csp.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
