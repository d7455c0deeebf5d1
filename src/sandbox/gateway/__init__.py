"""The sandbox payment gateway: a fake Tripay served by `pasok sandbox` under `/tripay`, with
payment channels and fees, transactions, a pay page in the browser and signed callbacks, and a
control API for the faults a deposit flow must survive (duplicates, wrong signatures, changed
bodies, lost and late callbacks). All its state lives in process memory.
"""

from sandbox.gateway.app import create_gateway_app
from sandbox.gateway.state import Merchant, create_signature

__all__ = ["Merchant", "create_gateway_app", "create_signature"]
