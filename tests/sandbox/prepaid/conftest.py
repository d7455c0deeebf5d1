"""The sandbox prepaid provider's fixtures, one server per test module."""

from tests.sandbox.prepaid.servers import prepaid_fixture, prepaid_servers_fixture

__all__ = ["prepaid_fixture", "prepaid_servers_fixture"]
