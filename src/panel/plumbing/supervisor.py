"""The processes `pasok up` runs, each started again when it exits.

A child that stops on its own (the worker after an outage it could not ride out, the API on
a fault) is started again after a back-off that doubles with each quick exit, so a child
that cannot start at all (a bad setting) does not spin, and one that ran for a while comes
back at once. Nothing else is stopped meanwhile: the API goes on taking orders while the
worker comes back.
"""

import subprocess
import sys
import time
from dataclasses import dataclass

FIRST_PAUSE_S = 1.0
MOST_PAUSE_S = 30.0
# A child that ran this long before exiting is taken to have been well: its next start
# comes after the first pause again.
STEADY_S = 60.0
STOP_TIMEOUT_S = 15.0


@dataclass
class Child:
    name: str
    command: list[str]
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    pause_s: float = FIRST_PAUSE_S
    restart_at: float | None = None
    restarts: int = 0

    def start(self) -> None:
        self.process = subprocess.Popen(self.command, env=self.env)
        self.started_at = time.monotonic()
        self.restart_at = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def tend(self, now: float) -> None:
        """Start the child again if it exited and its pause is over."""
        if self.process is None or self.running:
            return
        if self.restart_at is None:
            if now - self.started_at > STEADY_S:
                self.pause_s = FIRST_PAUSE_S
            self.restart_at = now + self.pause_s
            print(
                f"pasok {self.name} exited with status {self.process.returncode}; "
                f"starting it again in {self.pause_s:g} s",
                file=sys.stderr,
                flush=True,
            )
            self.pause_s = min(self.pause_s * 2, MOST_PAUSE_S)
        if now >= self.restart_at:
            self.restarts += 1
            self.start()

    def stop(self) -> None:
        if self.running:
            assert self.process is not None
            self.process.terminate()

    def wait_or_kill(self) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def stop_all(children: list[Child]) -> None:
    for child in children:
        child.stop()
    for child in children:
        child.wait_or_kill()
