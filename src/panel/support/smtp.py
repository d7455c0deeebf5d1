"""Email over SMTP: the standard library's smtplib, run in a thread so the worker's event loop
never waits on a mail server."""

import asyncio
import smtplib
import ssl
from email.message import EmailMessage

from panel.config import SupportSettings
from panel.support.delivery import SENT, Sent, failed


def configured(settings: SupportSettings) -> bool:
    return bool(settings.smtp_host)


async def send(settings: SupportSettings, to: str, subject: str, body: str) -> Sent:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    return await asyncio.to_thread(_send, settings, message)


def _send(settings: SupportSettings, message: EmailMessage) -> Sent:
    assert settings.smtp_host is not None
    try:
        with smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_s
        ) as server:
            if settings.smtp_starttls:
                server.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                password = settings.smtp_password
                server.login(
                    settings.smtp_username, password.get_secret_value() if password else ""
                )
            server.send_message(message)
    except smtplib.SMTPRecipientsRefused as refused:
        # A 5xx for the address is final (no such mailbox); a 4xx is the server's passing
        # trouble.
        codes = [code for code, _ in refused.recipients.values()]
        return failed(f"recipient refused: {codes}", retry=not all(c >= 500 for c in codes))
    except (smtplib.SMTPException, OSError) as error:
        # Down, unreachable, timed out, or refusing for now: tried again later.
        return failed(f"{type(error).__name__}: {error}")
    return SENT
