"""Support: tickets about orders, payments or the account, answered first by Pasok itself from
its own data and order rules, then by people along the chain (agency → reseller → operator)."""
