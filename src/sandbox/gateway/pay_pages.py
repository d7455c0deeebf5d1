"""The pay page a transaction's `checkout_url` opens: what to pay, where, until when, and two
buttons a newcomer (or a browser test) uses to pay or to let the transaction expire."""

import secrets
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment

from panel.currencies import money_text
from sandbox.gateway.actions import Actions
from sandbox.gateway.callbacks import Faults
from sandbox.gateway.state import Refused, Status, Transaction

router = APIRouter(prefix="/pay", tags=["pay page"], include_in_schema=False)

WIB = timezone(timedelta(hours=7), "WIB")
MONTHS = (
    "Januari Februari Maret April Mei Juni Juli Agustus September Oktober November Desember"
).split()
STATUS_TEXT: dict[Status, str] = {
    "UNPAID": "Menunggu pembayaran",
    "PAID": "Lunas",
    "EXPIRED": "Kedaluwarsa",
    "FAILED": "Gagal",
    "REFUND": "Dikembalikan",
}

# Kept here rather than in web/templates: the sandbox gateway is a package of its own.
PAGE = """<!doctype html>
<html lang="id">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pembayaran {{ t.reference }} · Tripay Sandbox</title>
<style nonce="{{ nonce }}">
body{font-family:system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d2430}
main{max-width:26rem;margin:0 auto;padding:1rem}
.card{background:#fff;border-radius:.75rem;padding:1rem;margin-bottom:1rem}
h1{font-size:1.2rem;margin:.2rem 0 1rem}
dl{margin:0}dt{font-size:.85rem;color:#5b6472;margin-top:.7rem}dd{margin:.15rem 0 0}
.amount{font-size:1.6rem;font-weight:700}
.code{font-family:ui-monospace,monospace;font-size:1.1rem;word-break:break-all;
background:#f0f2f5;padding:.5rem;border-radius:.4rem}
.status{display:inline-block;padding:.2rem .6rem;border-radius:1rem;background:#e8eaed}
.status-PAID{background:#d5f5df;color:#125c2b}.status-EXPIRED{background:#fde2e1;color:#8a1c17}
button{width:100%;font-size:1rem;padding:.8rem;border:0;border-radius:.5rem;margin-top:.6rem}
#pay{background:#1a7f37;color:#fff}#expire{background:#e8eaed;color:#1d2430}
.note{font-size:.85rem;color:#5b6472}.error{color:#8a1c17}
a.back{display:block;text-align:center;padding:.8rem;font-size:1rem}
</style>
</head>
<body>
<main>
<p class="note">Tripay Sandbox: pembayaran uji coba, tidak ada uang sungguhan yang berpindah.</p>
<section class="card">
<h1>{{ merchant }}</h1>
<dl>
<dt>Jumlah yang dibayar</dt><dd class="amount">{{ amount }}</dd>
<dt>Metode pembayaran</dt><dd>{{ t.channel.name }}</dd>
{% if t.pay_code %}
<dt>{{ code_label }}</dt><dd class="code" id="pay-code">{{ t.pay_code }}</dd>
{% elif t.qr_string %}
<dt>Kode QRIS</dt><dd class="code" id="qr-string">{{ t.qr_string }}</dd>
{% endif %}
<dt>Nomor referensi</dt><dd>{{ t.reference }}</dd>
{% if paid_at %}<dt>Dibayar pada</dt><dd>{{ paid_at }}</dd>
{% else %}<dt>Bayar sebelum</dt><dd>{{ expiry }}</dd>{% endif %}
<dt>Status</dt><dd><span class="status status-{{ t.status }}" id="status">{{ status }}</span></dd>
</dl>
</section>
{% if error %}<p class="card error" role="alert">{{ error }}</p>{% endif %}
{% if t.status == "UNPAID" %}
<section class="card">
<form method="post" action="{{ pay_action }}"><button type="submit" id="pay">Bayar</button></form>
<form method="post" action="{{ expire_action }}">
<button type="submit" id="expire">Kedaluwarsakan</button></form>
<p class="note">Bayar menandai transaksi lunas dan mengirim callback ke toko;
Kedaluwarsakan menutupnya tanpa pembayaran.</p>
</section>
{% endif %}
{% if t.status != "UNPAID" and t.return_url %}
<a class="back" href="{{ t.return_url }}" id="return">Kembali ke toko</a>
{% endif %}
</main>
</body>
</html>
"""
_template = Environment(autoescape=True).from_string(PAGE)


def _actions(request: Request) -> Actions:
    actions: Actions = request.app.state.actions
    return actions


def when(seconds: int) -> str:
    moment = datetime.fromtimestamp(seconds, UTC).astimezone(WIB)
    return f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}, {moment:%H.%M} WIB"


def _render(
    request: Request, transaction: Transaction, error: str | None = None, status: int = 200
) -> HTMLResponse:
    nonce = secrets.token_urlsafe(16)
    reference = transaction.reference
    values: dict[str, Any] = {
        "t": transaction,
        "nonce": nonce,
        "merchant": transaction.merchant_code,
        "amount": money_text.show(transaction.amount, "IDR", "id"),
        "code_label": (
            "Kode pembayaran"
            if transaction.channel.group == "Convenience Store"
            else "Nomor Virtual Account"
        ),
        "expiry": when(transaction.expired_time),
        "paid_at": when(transaction.paid_at) if transaction.paid_at else None,
        "status": STATUS_TEXT[transaction.status],
        "error": error,
        "pay_action": request.url_for("pay_from_page", reference=reference).path,
        "expire_action": request.url_for("expire_from_page", reference=reference).path,
    }
    csp = (
        f"default-src 'none'; style-src 'nonce-{nonce}'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    )
    return HTMLResponse(
        _template.render(values), status_code=status, headers={"Content-Security-Policy": csp}
    )


def _not_found() -> HTMLResponse:
    return HTMLResponse("<!doctype html><p>Transaksi tidak ditemukan.</p>", status_code=404)


@router.get("/{reference}", name="pay_page")
async def pay_page(request: Request, reference: str) -> Response:
    try:
        transaction = await _actions(request).look(reference)
    except Refused:
        return _not_found()
    return _render(request, transaction)


async def _act(request: Request, reference: str, to: Status) -> Response:
    actions = _actions(request)
    try:
        await actions.move(reference, to, Faults())
    except Refused as refused:
        if refused.status == 404:
            return _not_found()
        shown = "Transaksi ini sudah tidak menunggu pembayaran."
        return _render(request, actions.gateway.find(reference), shown, status=409)
    return RedirectResponse(request.url_for("pay_page", reference=reference).path, 303)


@router.post("/{reference}/pay", name="pay_from_page")
async def pay_from_page(request: Request, reference: str) -> Response:
    return await _act(request, reference, "PAID")


@router.post("/{reference}/expire", name="expire_from_page")
async def expire_from_page(request: Request, reference: str) -> Response:
    return await _act(request, reference, "EXPIRED")
