"""Spare Python processes: interpreters started ahead of a cold start.

Most of a Python cold start is the interpreter's own start and the runtime
client's imports, neither of which depends on the function. A spare is
``python_bootstrap.py --spare``, started with a neutral environment: it does
both, then waits on its stdin for an assignment (the environment's variables
and its code directory), takes them on and goes on as a freshly started
runtime client would, importing the handler. Init Duration is measured from
the assignment, as Lambda measures init from its environment's start.

A spare serves one environment and dies with it: a process is never reused
for another function. The pool holds at most ``SIZE`` of them, is filled
once a Python function first starts cold (an idle nubis starts none), is
refilled as soon as one is taken (so that back-to-back cold starts find the
next one warm), and is emptied
when Lambda has no environment left (``Pool.reap``) or is reset.

A function whose variables the interpreter or the dynamic loader only reads
at process start (``PYTHON*``, ``LD_*``, locale, malloc tuning) or that has
layers (``LD_LIBRARY_PATH``) gets a process of its own, as before.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys

from . import process

log = logging.getLogger("nubis.lambda")

SIZE = 2
BOOTSTRAP = os.path.join(os.path.dirname(__file__), "clients", "python_bootstrap.py")
# Read once, when the process starts: a spare started without them cannot take them on.
_AT_EXEC = ("PYTHON", "LD_", "LC_", "LANG", "LANGUAGE", "MALLOC_", "GLIBC_TUNABLES")


def fits(variables: dict[str, str], base: dict[str, str]) -> bool:
    """Whether an environment with ``variables`` can run in a spare started with ``base``."""
    for k, v in variables.items():
        if k.startswith(_AT_EXEC) and base.get(k) != v:
            return False
    return True


class _Pipes(asyncio.SubprocessProtocol):
    """A spare's output and exit: dropped, or its environment's once it is assigned."""

    def __init__(self, spares: "Spares"):
        self.spares = spares
        self.spare: Spare | None = None
        self.env = None

    def pipe_data_received(self, fd: int, data: bytes) -> None:
        if self.env is not None:
            self.env.output(fd, data)

    def pipe_connection_lost(self, fd: int, exc) -> None:
        if fd == 1 and self.env is not None:  # fd 0 is the assignment's pipe, closed once written
            self.env.pipe_closed()

    def process_exited(self) -> None:
        if self.env is not None:
            self.env.process_gone()
        elif self.spare is not None:
            self.spares.died(self.spare)


class Spare:
    __slots__ = ("transport", "protocol", "pid")

    def __init__(self, transport: process.Process, protocol: _Pipes):
        self.transport, self.protocol = transport, protocol
        self.pid = transport.get_pid()

    def assign(self, env, variables: dict[str, str], task_root: str) -> None:
        """Hand the process to ``env``: from now on its output and exit are the environment's."""
        self.protocol.env = env
        stdin = self.transport.get_pipe_transport(0)
        stdin.write(json.dumps({"env": variables, "cwd": task_root}).encode())
        stdin.close()

    def kill(self) -> None:
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


class Spares:
    """The pool's spare Python processes."""

    def __init__(self, pool):
        self.pool = pool
        self.ready: list[Spare] = []
        self.starting = 0
        self.wanted = False      # a Python function has started cold since the last stop()
        self.refill: asyncio.Handle | None = None

    def base_variables(self) -> dict[str, str]:
        # HOME: site adds ~/.local's site-packages at start; an environment's HOME
        # (its empty TMPDIR) has none, and neither must a spare's.
        return {"PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"), "LANG": "en_US.UTF-8",
                "TZ": ":UTC", "HOME": "/nonexistent"}

    def take(self) -> Spare | None:
        """A ready spare (the oldest, the likeliest to have done its imports), or None."""
        self.wanted = True
        spare = None
        while self.ready and spare is None:
            spare = self.ready.pop(0)
            if spare.transport.get_returncode() is not None:
                spare = None
        return spare

    def fill_later(self) -> None:
        """Refill, in a callback of its own rather than in the cold start's path."""
        if not self.wanted or self.refill is not None or len(self.ready) + self.starting >= SIZE:
            return
        self.refill = asyncio.get_running_loop().call_soon(self._fill)

    def _fill(self) -> None:
        self.refill = None
        loop = asyncio.get_running_loop()
        while self.wanted and len(self.ready) + self.starting < SIZE:
            self.starting += 1
            loop.create_task(self._spawn())

    async def _spawn(self) -> None:
        protocol = _Pipes(self)
        try:
            transport = await process.start(protocol, [sys.executable, BOOTSTRAP, "--spare"],
                                            self.base_variables(), "/", stdin=True)
        except OSError as e:
            log.warning("a spare Python process did not start: %s", e)
            return
        finally:
            self.starting -= 1
        spare = protocol.spare = Spare(transport, protocol)
        if not self.wanted or transport.get_returncode() is not None:  # stopped, or died, meanwhile
            spare.kill()
            transport.close()
            self.fill_later()
            return
        self.ready.append(spare)

    def died(self, spare: Spare) -> None:
        """A spare ended before it was assigned: another takes its place."""
        if spare in self.ready:
            self.ready.remove(spare)
        spare.transport.close()
        self.fill_later()

    def stop(self) -> None:
        """Lambda is not in use (or reset): no spares until a Python function starts cold again."""
        self.wanted = False
        if self.refill is not None:
            self.refill.cancel()
            self.refill = None
        for spare in self.ready:
            spare.kill()
        self.ready = []
