"""The sandbox prepaid provider: a fake Digiflazz served by `pasok sandbox` under `/digiflazz`,
with a price list of a few dozen products, purchases keyed by ref_id that spend its own
deposit, signature checks, signed webhooks, and a control API for the answers a prepaid flow
must survive (pending, failures, 5xx, a lost answer, duplicate or forged webhooks). All its
state lives in process memory.
"""

from sandbox.prepaid.app import DEFAULT_ACCOUNT, create_prepaid_app
from sandbox.prepaid.state import Account

__all__ = ["DEFAULT_ACCOUNT", "Account", "create_prepaid_app"]
