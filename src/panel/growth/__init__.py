"""Reasons for agencies and resellers to stay and grow: levels and points, vouchers, referral
commissions, the service-updates feed and announcements."""
