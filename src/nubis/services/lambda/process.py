"""An environment's process, started without blocking the event loop.

uvloop's ``subprocess_exec`` forks the whole nubis process and waits, on the
loop, until the child has exec'd: tens of milliseconds of a cold start during
which nothing else is served. ``subprocess.Popen`` uses vfork (well under a
millisecond); the process's exit is then watched through a pidfd and its
output pipe read by the loop, and the protocol is called as a subprocess
protocol would be (``pipe_data_received``, ``pipe_connection_lost``,
``process_exited``). stderr goes to stdout's pipe, so lines keep their order.
"""
from __future__ import annotations

import asyncio
import os
import subprocess


async def start(protocol, argv: list[str], variables: dict[str, str], cwd: str, stdin: bool = False) -> "Process":
    """Start ``argv``; with ``stdin``, a pipe to write to (``get_pipe_transport(0)``), else /dev/null.
    An OSError is the exec's (a missing or non-executable file)."""
    popen = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, cwd=cwd, env=variables, start_new_session=True)
    proc = Process(popen, protocol)
    loop = asyncio.get_running_loop()
    try:
        proc.pidfd = os.pidfd_open(popen.pid)
        loop.add_reader(proc.pidfd, proc._exited)
        if stdin:
            proc.stdin, _ = await loop.connect_write_pipe(asyncio.BaseProtocol, popen.stdin)
        proc.stdout, _ = await loop.connect_read_pipe(lambda: _Reader(protocol), popen.stdout)
    except BaseException:
        popen.kill()
        proc.close()
        raise
    return proc


class _Reader(asyncio.Protocol):
    def __init__(self, pipes):
        self.pipes = pipes

    def data_received(self, data: bytes) -> None:
        self.pipes.pipe_data_received(1, data)

    def connection_lost(self, exc) -> None:
        self.pipes.pipe_connection_lost(1, exc)


class Process:
    """A started process, with the part of a subprocess transport environments use."""

    def __init__(self, popen: subprocess.Popen, protocol):
        self.popen, self.protocol = popen, protocol
        self.stdin: asyncio.WriteTransport | None = None
        self.stdout: asyncio.ReadTransport | None = None
        self.pidfd: int | None = None

    def _exited(self) -> None:
        self._unwatch()
        self.popen.wait()  # reaps it: the pidfd says it has ended
        self.protocol.process_exited()

    def _unwatch(self) -> None:
        if self.pidfd is not None:
            asyncio.get_running_loop().remove_reader(self.pidfd)
            os.close(self.pidfd)
            self.pidfd = None

    def get_pid(self) -> int:
        return self.popen.pid

    def get_returncode(self) -> int | None:
        return self.popen.returncode

    def get_pipe_transport(self, fd: int):
        return self.stdin if fd == 0 else self.stdout if fd == 1 else None

    def close(self) -> None:
        """Forget a process that has ended (or been killed): its pipes and its watch."""
        for pipe in (self.stdin, self.stdout):
            if pipe is not None:
                pipe.close()
        if self.popen.returncode is None and self.pidfd is not None:
            return  # its exit is still to come; _exited reaps it
        self._unwatch()
