"""Payments: deposits paid in through gateways (Tripay's QRIS, virtual accounts and retail
outlets) or by a transfer with a unique code, credited to a wallet exactly once."""
