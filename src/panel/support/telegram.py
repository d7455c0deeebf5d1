"""Telegram through the Bot API: `POST {api}/bot{token}/sendMessage` with a chat id and text."""

import httpx

from panel.config import SupportSettings
from panel.plumbing import trust_store
from panel.support.delivery import SENT, Sent, failed

MAX_TEXT = 4096  # the Bot API's limit for one message


def configured(settings: SupportSettings) -> bool:
    return settings.telegram_bot_token is not None


def client(settings: SupportSettings) -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=settings.telegram_timeout_s, verify=trust_store.system())


async def send(http: httpx.AsyncClient, settings: SupportSettings, chat_id: str, text: str) -> Sent:
    token = settings.telegram_bot_token
    assert token is not None
    url = f"{settings.telegram_api_url.rstrip('/')}/bot{token.get_secret_value()}/sendMessage"
    try:
        response = await http.post(url, json={"chat_id": chat_id, "text": text[:MAX_TEXT]})
    except httpx.HTTPError as error:
        return failed(f"{type(error).__name__}: {error}")
    if 400 <= response.status_code < 500 and response.status_code != 429:
        # Chat not found, bot blocked, bad request: no retry makes it go through.
        return failed(f"{response.status_code}: {_description(response)}", retry=False)
    if response.status_code >= 400:
        return failed(f"{response.status_code}: {_description(response)}")
    try:
        ok = response.json().get("ok") is True
    except (ValueError, AttributeError):
        ok = False
    return SENT if ok else failed(f"not ok: {_description(response)}")


def _description(response: httpx.Response) -> str:
    # The token is in the URL, never in the answer: the answer's text is safe to keep.
    try:
        return str(response.json().get("description", ""))[:300]
    except (ValueError, AttributeError):
        return response.text[:300]
