"""`pasok`, the installed command: the panel's commands (`panel.cli`) with the worker's own.

The worker runs the panel's jobs, so it sits above the panel: the program that can start
either process lives here, and nothing in `panel` imports `workers`."""

import argparse

from panel import cli
from panel.config import Settings
from workers.worker import run_worker


def worker_command(args: argparse.Namespace, settings: Settings) -> int:
    run_worker(cli.prepare_process(settings))
    return 0


def main(argv: list[str] | None = None) -> None:
    cli.main(argv, worker=worker_command)


if __name__ == "__main__":
    main()
