"""The web secret every process of one panel shares: it signs web sessions and encrypts TOTP
secrets (panel.accounts.totp), so an API process and a worker that disagreed would refuse each
other's cookies and could not read each other's two-factor secrets.

The rule, for `pasok up`, `api`, `worker` and `init` alike: PASOK_WEB__SECRET when it is set,
else the data folder's `web-secret` file, made (readable by its owner only) on first need.
"""

import os
import secrets
from pathlib import Path

from pydantic import SecretStr

from panel.config import Settings, get_settings
from panel.plumbing import preflight

FILE = "web-secret"
SETTING = "PASOK_WEB__SECRET"


def path(settings: Settings) -> Path:
    return settings.data_dir / FILE


def resolve(settings: Settings) -> str:
    """The secret: the configured one, else the data folder's, made on first need."""
    if settings.web.secret is not None:
        return settings.web.secret.get_secret_value()
    kept = path(settings)
    try:
        if not kept.exists():
            kept.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            # Made private before anything is written to it; O_EXCL so that two processes
            # starting together cannot each write a different secret.
            descriptor = os.open(kept, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as file:
                file.write(secrets.token_hex(32))
        secret = kept.read_text().strip()
    except FileExistsError:
        secret = kept.read_text().strip()
    except OSError as error:
        raise preflight.StartError(
            f"no web secret: {SETTING} is unset and {kept} cannot be used "
            f"({error.strerror or error}); set {SETTING} to a long random string"
        ) from None
    if not secret:
        raise preflight.StartError(f"{kept} is empty; delete it or set {SETTING}")
    return secret


def settle(settings: Settings) -> Settings:
    """`settings` with the secret in place, also in the environment, so that processes this
    one starts (API processes, `up`'s children) read the same."""
    secret = resolve(settings)
    os.environ[SETTING] = secret
    get_settings.cache_clear()
    web = settings.web.model_copy(update={"secret": SecretStr(secret)})
    return settings.model_copy(update={"web": web})
