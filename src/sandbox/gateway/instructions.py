"""How to pay, channel by channel, in the buyer's words (Tripay's `instructions` field)."""

from typing import Any

from sandbox.gateway.channels import Channel


def instructions(channel: Channel, pay_code: str | None) -> list[dict[str, Any]]:
    if channel.code == "QRIS":
        return [
            {
                "title": "Bayar dengan QRIS",
                "steps": [
                    "Buka aplikasi bank atau dompet digital yang mendukung QRIS.",
                    "Pindai kode QR yang tampil di halaman pembayaran.",
                    "Periksa nama toko dan jumlah yang harus dibayar.",
                    "Konfirmasi pembayaran dan simpan bukti transaksinya.",
                ],
            }
        ]
    if channel.group == "Convenience Store":
        return [
            {
                "title": f"Bayar di gerai {channel.name}",
                "steps": [
                    f"Datangi gerai {channel.name} terdekat.",
                    "Sampaikan ke kasir bahwa Anda ingin membayar tagihan Tripay.",
                    f"Sebutkan kode pembayaran {pay_code}.",
                    "Bayar sesuai jumlah tagihan dan simpan struknya.",
                ],
            }
        ]
    bank = channel.name.removesuffix(" Virtual Account")
    return [
        {
            "title": "Lewat ATM",
            "steps": [
                f"Masukkan kartu ATM {bank} dan PIN Anda.",
                "Pilih menu Transaksi Lain, lalu Pembayaran, lalu Virtual Account.",
                f"Masukkan nomor Virtual Account {pay_code}.",
                "Periksa jumlah tagihan, lalu konfirmasi pembayaran.",
            ],
        },
        {
            "title": "Lewat mobile banking",
            "steps": [
                f"Buka aplikasi mobile banking {bank} dan masuk.",
                "Pilih menu Pembayaran, lalu Virtual Account.",
                f"Masukkan nomor Virtual Account {pay_code}.",
                "Periksa jumlah tagihan, lalu masukkan PIN untuk membayar.",
            ],
        },
    ]
