"""The order tests' world: committed, with both providers at the sandbox over HTTP."""

import pytest

from panel.plumbing.runtime import Runtime
from tests.fixtures.factories import World, build_world
from tests.fixtures.sandbox import SandboxHandle


@pytest.fixture
async def world(runtime: Runtime, sandbox: SandboxHandle) -> World:
    async with runtime.transaction() as session:
        return await build_world(session, provider_url=sandbox.url, backup_url=sandbox.url)
