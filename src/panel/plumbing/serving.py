"""`pasok api --processes N`: N uvicorn processes, each accepting on a socket of its own.

The sockets share the port through SO_REUSEPORT, so the kernel spreads new connections over
the processes evenly, by a hash of each connection's addresses. With the one shared socket of
uvicorn's own workers, whichever process woke first accepted a whole burst of connections,
and the crowded process's clients waited longer (bench/README.md).

The parent binds every socket, after checking that nothing else listens on the port (an
earlier `pasok api` still running would otherwise share it), so a port taken fails at once.
It replaces a process that dies on the same socket, and on SIGINT or SIGTERM it asks each to
finish what it is answering and stop.
"""

import logging
import multiprocessing
import os
import signal
import socket
import time
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from types import FrameType

log = logging.getLogger("panel.serving")

APP = "panel.app:serve"
BACKLOG = 2048  # uvicorn's default
SETTLING = 10.0  # seconds: a process that dies sooner failed to start


def serve(host: str, port: int, processes: int, log_level: str) -> int:
    """Serve until SIGINT or SIGTERM; the exit code."""
    alone = _bind(host, port, shared=False)  # fails if anything else listens on the port
    if processes == 1:
        _run(alone, host, port)
        return 0
    alone.close()  # the others could not share the port with it
    sockets = [_bind(host, port, shared=True) for _ in range(processes)]
    context = multiprocessing.get_context("spawn")
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    started: dict[int, float] = {}

    def start(number: int) -> BaseProcess:
        child = context.Process(target=_child, args=(sockets[number], host, port, log_level))
        child.start()
        started[number] = time.monotonic()
        return child

    children = [start(number) for number in range(processes)]
    code = 0
    while not stopping:
        wait([child.sentinel for child in children], timeout=1)
        for number, child in enumerate(children):
            if child.is_alive() or stopping:
                continue
            fields = {"pid": child.pid, "exit_code": child.exitcode}
            if time.monotonic() - started[number] < SETTLING:
                # It failed at start-up (a bad setting, the database unreachable): starting
                # it again would fail the same way, over and over.
                log.error("api process failed at start-up", extra={"fields": fields})
                stopping, code = True, 1
                break
            log.warning("api process exited; starting another", extra={"fields": fields})
            children[number] = start(number)
    for child in children:
        child.terminate()  # SIGTERM: uvicorn answers what it has begun, then stops
    for child in children:
        child.join()
    return code


def _bind(host: str, port: int, *, shared: bool) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if shared:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    return sock


def _child(sock: socket.socket, host: str, port: int, log_level: str) -> None:
    from panel.plumbing import logs

    # A group of its own: a Ctrl-C in the terminal reaches the parent alone, which stops each
    # child once, rather than twice (uvicorn takes a second signal as "stop now").
    os.setpgrp()
    logs.configure(log_level)
    _run(sock, host, port)


def _run(sock: socket.socket, host: str, port: int) -> None:
    import uvicorn

    # log_config=None keeps the JSON handler configured above for uvicorn's own loggers.
    config = uvicorn.Config(APP, factory=True, host=host, port=port, log_config=None)
    uvicorn.Server(config).run(sockets=[sock])
