"""The collector as `pasok api` and `pasok worker` run it: what start-up loaded is frozen, and
young collections come less often."""

import gc
from collections.abc import Iterator

import pytest

from panel import app
from panel.plumbing import collector


@pytest.fixture
def restored() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("restored")
def test_the_served_app_leaves_its_heap_frozen() -> None:
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    served = app.serve()
    assert isinstance(served, app.Panel)
    # Modules, mappers and routes: far more objects than any request makes.
    assert gc.get_freeze_count() > 100_000
    assert gc.get_threshold()[0] == collector.YOUNG
