"""Currencies: ISO 4217 codes, exchange rates into the panel's currency, and the one
conversion of a provider's rate into a cost in the panel's currency."""
