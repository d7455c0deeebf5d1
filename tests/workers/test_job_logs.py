"""What a job writes to the log says which job it is and what it works on: its name, arq's job
id and its own arguments by name (an order's id), bound once by the task layer, never passed
by hand; and nothing of it leaks into lines written after the job."""

import json
import logging
from typing import Any

import pytest

from panel.plumbing import logs
from workers.tasks import Job, _arq_function

log = logging.getLogger("panel.test")


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logs.JsonFormatter())
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def lines() -> Any:
    handler = _Lines()
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    yield handler.lines
    log.removeHandler(handler)


async def test_a_jobs_lines_carry_its_name_id_and_order(lines: list[dict[str, Any]]) -> None:
    async def submit_order(runtime: object, order_id: int) -> str:
        log.info("sent upstream", extra={"fields": {"provider": 3}})
        return "done"

    run = _arq_function("submit_order", Job(submit_order, own_transactions=True))
    answer = await run.coroutine({"runtime": object(), "job_id": "submit:42"}, 42)
    log.info("after the job")

    assert answer == "done"
    first, after = lines
    assert {k: first[k] for k in ("msg", "job", "job_id", "order_id", "provider")} == {
        "msg": "sent upstream",
        "job": "submit_order",
        "job_id": "submit:42",
        "order_id": 42,
        "provider": 3,
    }
    assert "job" not in after
    assert "order_id" not in after


def test_bound_fields_nest_and_unwind(lines: list[dict[str, Any]]) -> None:
    with logs.bound(request_id="r1"):
        with logs.bound(order_id=7):
            log.info("inner")
        log.info("outer")
    log.info("outside")
    inner, outer, outside = lines
    assert (inner["request_id"], inner["order_id"]) == ("r1", 7)
    assert outer["request_id"] == "r1"
    assert "order_id" not in outer
    assert "request_id" not in outside
