"""The words of the referral pages, in Indonesian and English."""

WORDS: dict[str, dict[str, str]] = {
    "id": {
        "title": "Ajak teman",
        "intro": "Bagikan link Anda. Agen baru yang mendaftar lewat link ini menjadi referral "
        "Anda, dan Anda mendapat {share}% dari margin {brand} atas setiap pesanannya yang "
        "selesai selama {days} hari sejak ia mendaftar.",
        "off": "{brand} belum memberi komisi referral saat ini.",
        "your_link": "Link referral Anda",
        "share": "Bagikan lewat WhatsApp",
        "share_text": "Daftar jadi agen di {brand} lewat link saya: {link}",
        "referrals": "Referral Anda",
        "no_referrals": "Belum ada yang mendaftar lewat link Anda.",
        "joined": "Daftar",
        "until": "Komisi sampai",
        "commissions": "Komisi",
        "no_commissions": "Belum ada komisi.",
        "order": "Pesanan",
        "total": "Total komisi",
        "join_title": "Daftar di {brand}",
        "join_invited": "{name} mengajak Anda bergabung.",
        "console_title": "Komisi referral",
        "console_intro": "Agen Anda membagikan link referral. Untuk setiap pesanan agen baru "
        "yang diajaknya, ia mendapat bagian dari margin Anda atas bagian yang terkirim, "
        "selama jumlah hari sejak agen baru itu mendaftar.",
        "console_share": "Bagian dari margin Anda (%)",
        "console_days": "Lama (hari sejak mendaftar)",
        "console_bad_share": "Bagian harus persen dari 0 sampai 100.",
        "console_bad_days": "Lama harus dari 1 sampai 3650 hari.",
    },
    "en": {
        "title": "Invite friends",
        "intro": "Share your link. A new agency that signs up through it becomes your "
        "referral, and you earn {share}% of {brand}'s margin on each of its settled orders "
        "for {days} days from its sign-up.",
        "off": "{brand} gives no referral commission at the moment.",
        "your_link": "Your referral link",
        "share": "Share on WhatsApp",
        "share_text": "Become an agency of {brand} through my link: {link}",
        "referrals": "Your referrals",
        "no_referrals": "Nobody has signed up through your link yet.",
        "joined": "Joined",
        "until": "Commission until",
        "commissions": "Commissions",
        "no_commissions": "No commissions yet.",
        "order": "Order",
        "total": "Total commission",
        "join_title": "Sign up with {brand}",
        "join_invited": "{name} invites you to join.",
        "console_title": "Referral commission",
        "console_intro": "Your agencies share a referral link. On every order of a new agency "
        "one brought in, it earns a share of your margin on what was delivered, for a number "
        "of days from the new agency's sign-up.",
        "console_share": "Share of your margin (%)",
        "console_days": "Period (days from sign-up)",
        "console_bad_share": "The share must be a percent from 0 to 100.",
        "console_bad_days": "The period must be from 1 to 3650 days.",
    },
}
