"""A QRIS payload that looks like the real thing: EMVCo tag-length-value fields, the
reference and amount inside, and a CRC-16/CCITT checksum at the end. No bank can pay it."""


def _field(tag: str, value: str) -> str:
    return f"{tag}{len(value):02d}{value}"


def crc16(text: str) -> str:
    """CRC-16/CCITT-FALSE, as EMVCo QR codes carry in tag 63."""
    crc = 0xFFFF
    for byte in text.encode():
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return f"{crc:04X}"


def qr_string(reference: str, amount: int, merchant_name: str) -> str:
    account = _field("00", "ID.CO.TRIPAY.SANDBOX") + _field("01", reference[:26])
    body = (
        _field("00", "01")
        + _field("01", "12")  # dynamic: one payment, one amount
        + _field("26", account)
        + _field("52", "5999")
        + _field("53", "360")  # rupiah
        + _field("54", str(amount))
        + _field("58", "ID")
        + _field("59", merchant_name[:25] or "SANDBOX")
        + _field("60", "JAKARTA")
        + _field("62", _field("05", reference[:25]))
        + "6304"
    )
    return body + crc16(body)
