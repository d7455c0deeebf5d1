"""The words of the automatic first answer, in Indonesian and English: what a helpful panel
writes to a reseller about its orders, one short paragraph per order."""

from panel.models import OrderStatus
from panel.orders import texts as order_texts
from panel.orders.schemas import PUBLIC_STATUS

WORDS: dict[str, dict[str, str]] = {
    "id": {
        "intro": "Halo! Ini jawaban otomatis untuk pesanan di tiket ini:",
        "order": "Pesanan #{id} ({service})",
        "status": "Status: {status}",
        "start_count": "jumlah awal {count}",
        "delivered": "terkirim {delivered} dari {quantity}",
        "remains": "sisa {remains}",
        "status_pending": "menunggu dikirim",
        "status_processing": "sedang diproses",
        "status_in_progress": "sedang berjalan",
        "status_completed": "selesai",
        "status_partial": "selesai sebagian",
        "status_canceled": "dibatalkan",
        "status_failed": "gagal",
        "checking": "Kami sedang memeriksa pesanan ini langsung dengan penyedia. Tim kami akan "
        "mengabari Anda di tiket ini.",
        "usual_start": "Layanan ini biasanya mulai dalam {usual}; pesanan Anda dikirim {age} lalu.",
        "usual_complete": "Layanan ini biasanya selesai dalam {usual}; pesanan Anda dikirim "
        "{age} lalu.",
        "no_figures": "Belum ada data waktu untuk layanan ini; pesanan Anda dikirim {age} lalu.",
        "within": "Masih dalam waktu normal, mohon ditunggu sebentar lagi.",
        "past": "Ini sudah lewat dari waktu biasanya, jadi tim kami akan mengeceknya.",
        "finished": "Pesanan ini sudah berakhir.",
        "refill_requested": "Refill sudah kami ajukan (refill #{refill}).",
        "refill_disabled": "Layanan ini tidak menyediakan refill.",
        "refill_not_finished": "Refill baru bisa diajukan setelah pesanan selesai.",
        "refill_running": "Refill untuk pesanan ini masih berjalan, jadi belum bisa diajukan lagi.",
        "refill_not_eligible": "Pesanan ini tidak bisa di-refill.",
        "canceled_now": "Pesanan sudah dibatalkan dan dananya dikembalikan ke saldo Anda.",
        "cancel_requested": "Pembatalan sudah kami ajukan ke penyedia. Sisa dana otomatis "
        "kembali ke saldo setelah penyedia mengonfirmasi.",
        "cancel_disabled": "Layanan ini tidak bisa dibatalkan.",
        "cancel_finished": "Pesanan ini sudah berakhir, jadi tidak bisa dibatalkan lagi.",
        "cancel_asked": "Pembatalan pesanan ini sudah diajukan sebelumnya; mohon ditunggu.",
        "cancel_not_eligible": "Pesanan ini tidak bisa dibatalkan saat ini.",
        "refunded": "Dana untuk {remains} yang tidak terkirim sudah dikembalikan ke saldo Anda: "
        "{amount}.",
        "refund_missing": "Kami belum menemukan pengembalian dana untuk sisa pesanan ini; tim "
        "kami akan mengeceknya.",
        "refund_open": "Pesanan ini masih berjalan; sisa dana otomatis kembali ke saldo Anda "
        "begitu pesanan selesai.",
        "link": "Tautan pesanan: {link}",
        "link_fixed": "Tautan pesanan tidak bisa diubah otomatis; tim kami akan membantu.",
        "person": "Tim kami akan menindaklanjuti.",
        "done_all": "Kalau sudah jelas, Anda bisa langsung menutup tiket ini. Kalau masih ada "
        "pertanyaan, balas saja di sini.",
        "done_some": "Untuk pesanan yang masih perlu dicek, tim kami akan membalas di tiket ini.",
        "minutes": "{minutes} menit",
        "hours": "{hours} jam {minutes} menit",
        "whole_hours": "{hours} jam",
        "days": "{days} hari {hours} jam",
        "whole_days": "{days} hari",
    },
    "en": {
        "intro": "Hello! Here is the automatic answer for the orders in this ticket:",
        "order": "Order #{id} ({service})",
        "status": "Status: {status}",
        "start_count": "start count {count}",
        "delivered": "delivered {delivered} of {quantity}",
        "remains": "remains {remains}",
        "status_pending": "waiting to be sent",
        "status_processing": "processing",
        "status_in_progress": "in progress",
        "status_completed": "completed",
        "status_partial": "partially completed",
        "status_canceled": "canceled",
        "status_failed": "failed",
        "checking": "We are checking this order with the provider. Our team will update you "
        "in this ticket.",
        "usual_start": "This service usually starts within {usual}; your order was sent {age} ago.",
        "usual_complete": "This service usually completes within {usual}; your order was sent "
        "{age} ago.",
        "no_figures": "There are no timing figures for this service yet; your order was sent "
        "{age} ago.",
        "within": "That is still within the usual time, please wait a little longer.",
        "past": "That is well past the usual time, so our team will look into it.",
        "finished": "This order has ended.",
        "refill_requested": "A refill has been requested (refill #{refill}).",
        "refill_disabled": "This service does not offer refills.",
        "refill_not_finished": "A refill can be requested once the order has finished.",
        "refill_running": "A refill of this order is still running, so another cannot be "
        "requested yet.",
        "refill_not_eligible": "This order cannot be refilled.",
        "canceled_now": "The order has been canceled and its charge returned to your balance.",
        "cancel_requested": "A cancel has been requested from the provider. What is left of "
        "the charge returns to your balance once the provider confirms it.",
        "cancel_disabled": "This service cannot be canceled.",
        "cancel_finished": "This order has already ended, so it cannot be canceled.",
        "cancel_asked": "A cancel of this order was already requested; please wait.",
        "cancel_not_eligible": "This order cannot be canceled now.",
        "refunded": "The charge for the {remains} not delivered has been returned to your "
        "balance: {amount}.",
        "refund_missing": "We found no refund for what was not delivered yet; our team will "
        "look into it.",
        "refund_open": "This order is still running; what is not delivered returns to your "
        "balance automatically once it finishes.",
        "link": "Order link: {link}",
        "link_fixed": "An order's link cannot be changed automatically; our team will help.",
        "person": "Our team will follow up.",
        "done_all": "If this answers it, you can close the ticket now. If not, just reply here.",
        "done_some": "For the orders that still need a look, our team will reply in this ticket.",
        "minutes": "{minutes} min",
        "hours": "{hours} h {minutes} min",
        "whole_hours": "{hours} h",
        "days": "{days} d {hours} h",
        "whole_days": "{days} d",
    },
}

# Why a refill or cancel the order rules refused, from the refusal's API v2 text; a refusal
# that says only "not eligible" is said more exactly by `answers` where it knows why.
REFUSALS = {
    order_texts.REFILL_DISABLED: "refill_disabled",
    order_texts.REFILL_NOT_ELIGIBLE: "refill_not_eligible",
    order_texts.CANCEL_DISABLED: "cancel_disabled",
    order_texts.CANCEL_NOT_ELIGIBLE: "cancel_not_eligible",
}


def word(lang: str, key: str, **values: object) -> str:
    words = WORDS.get(lang, WORDS["id"])
    return words[key].format(**values)


def status_word(lang: str, status: OrderStatus) -> str:
    """An order's status as its buyer sees it: `submitting` and `needs_review` are processing."""
    return word(lang, f"status_{PUBLIC_STATUS[status].value}")


def duration(lang: str, seconds: float) -> str:
    """A delay as a person says it: minutes, hours and minutes, or days and hours."""
    minutes = max(1, round(seconds / 60))
    if minutes < 60:
        return word(lang, "minutes", minutes=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        if minutes == 0:
            return word(lang, "whole_hours", hours=hours)
        return word(lang, "hours", hours=hours, minutes=minutes)
    days, hours = divmod(hours, 24)
    if hours == 0:
        return word(lang, "whole_days", days=days)
    return word(lang, "days", days=days, hours=hours)


def refusal_key(detail: str, fallback: str) -> str:
    return REFUSALS.get(detail, fallback)
