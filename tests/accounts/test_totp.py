"""TOTP as RFC 6238 defines it, checked against its test vectors; the window, the refusal of
a code used before, and the sealing of secrets with the web secret."""

import base64
from urllib.parse import parse_qs, urlsplit

import pytest

from panel.accounts import totp

# RFC 6238 appendix B: the SHA-1 seed and its 8-digit codes.
RFC_SECRET = b"12345678901234567890"
RFC_VECTORS = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]
WEB_SECRET = "a web secret long enough " * 2


@pytest.mark.parametrize(("unix_time", "code"), RFC_VECTORS)
def test_rfc_6238_vectors(unix_time: int, code: str) -> None:
    assert totp.code_at(RFC_SECRET, totp.step_at(unix_time), digits=8) == code
    # Six digits are the last six of the same number.
    assert totp.code_at(RFC_SECRET, totp.step_at(unix_time)) == code[-6:]


def test_a_code_is_taken_one_step_either_side_and_no_further() -> None:
    now = 1111111111.0
    step = totp.step_at(now)
    for offset in (-1, 0, 1):
        code = totp.code_at(RFC_SECRET, step + offset)
        assert totp.matching_step(RFC_SECRET, code, now, None) == step + offset
    for offset in (-2, 2):
        assert (
            totp.matching_step(RFC_SECRET, totp.code_at(RFC_SECRET, step + offset), now, None)
            is None
        )


def test_a_code_is_not_taken_again_for_its_step_or_an_earlier_one() -> None:
    now = 1111111111.0
    step = totp.step_at(now)
    code = totp.code_at(RFC_SECRET, step)
    assert totp.matching_step(RFC_SECRET, code, now, step) is None
    assert totp.matching_step(RFC_SECRET, totp.code_at(RFC_SECRET, step - 1), now, step - 1) is None
    assert totp.matching_step(RFC_SECRET, totp.code_at(RFC_SECRET, step + 1), now, step) == step + 1


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef", "12 34 5x"])
def test_anything_but_six_digits_is_no_code(typed: str) -> None:
    assert totp.matching_step(RFC_SECRET, typed, 59, None) is None


def test_a_code_may_be_typed_with_spaces() -> None:
    code = totp.code_at(RFC_SECRET, totp.step_at(59))
    assert totp.matching_step(RFC_SECRET, f" {code[:3]} {code[3:]} ", 59, None) == 1


def test_the_uri_is_what_authenticator_apps_read() -> None:
    secret = totp.new_secret()
    assert len(secret) == 20
    uri = totp.uri(secret, "ops@example.com", "Toko Sosmed")
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    assert parts.path == "/Toko%20Sosmed:ops@example.com"
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    assert query == {
        "secret": totp.text(secret),
        "issuer": "Toko Sosmed",
        "algorithm": "SHA1",
        "digits": "6",
        "period": "30",
    }
    padded = totp.text(secret) + "=" * (-len(totp.text(secret)) % 8)
    assert base64.b32decode(padded) == secret


def test_a_sealed_secret_opens_only_for_its_row_and_web_secret() -> None:
    secret = totp.new_secret()
    sealed = totp.seal(secret, 7, WEB_SECRET)
    assert totp.text(secret) not in sealed
    assert secret.hex() not in sealed
    assert totp.seal(secret, 7, WEB_SECRET) != sealed  # a fresh nonce each time
    assert totp.unseal(sealed, 7, WEB_SECRET) == secret
    assert totp.unseal(sealed, 8, WEB_SECRET) is None
    assert totp.unseal(sealed, 7, WEB_SECRET + "x") is None
    assert totp.unseal(sealed[:-4] + "AAAA", 7, WEB_SECRET) is None
    assert totp.unseal("garbage", 7, WEB_SECRET) is None
    assert totp.unseal("1.", 7, WEB_SECRET) is None
