"""The order tests' world: committed, with both providers at the sandbox over HTTP."""

import pytest

from panel.runtime import Runtime
from tests.factories import World, build_world
from tests.fixtures_sandbox import SandboxHandle


@pytest.fixture
async def world(runtime: Runtime, sandbox: SandboxHandle) -> World:
    async with runtime.transaction() as session:
        return await build_world(session, provider_url=sandbox.url, backup_url=sandbox.url)
