"""A function's MemorySize, enforced on its process.

Lambda's environment is a cgroup of MemorySize; a function that goes past it
is killed, and the invocation fails with ``Runtime.OutOfMemory`` ("Runtime
exited with error: signal: killed"). nubis has no cgroup to give each
environment, and an address-space rlimit would break runtimes that reserve
far more than they use (V8), so it watches the resident set instead: every
``POLL`` seconds while an invocation runs, and once more (the peak, VmHWM)
when it answers, so that an allocation between two looks is not missed.
"""
from __future__ import annotations

import asyncio
import json

POLL = 0.05
OOM = "Runtime.OutOfMemory"


def _status_kb(pid: int | None, field: str) -> int:
    if pid is None:
        return 0
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def peak_mb(pid: int | None) -> int:
    """The process's peak resident set (VmHWM), in MB."""
    return _status_kb(pid, "VmHWM:") // 1024


class Watch:
    """Watches one invocation of an environment (``env.run`` starts and stops it)."""

    __slots__ = ("env", "inv", "limit_kb", "handle")

    def __init__(self, env, inv):
        self.env, self.inv = env, inv
        self.limit_kb = int(env.target.config.get("MemorySize", 128)) * 1024
        self.handle = asyncio.get_running_loop().call_later(POLL, self._look)

    def _look(self) -> None:
        if self.inv.future.done() or self.env.state == "dead":
            return
        if _status_kb(self.env.pid, "VmRSS:") > self.limit_kb:
            self._kill()
            return
        self.handle = asyncio.get_running_loop().call_later(POLL, self._look)

    def _kill(self) -> tuple[bytes, str]:
        env, inv = self.env, self.inv
        env.peak_mb = max(peak_mb(env.pid), self.limit_kb // 1024)
        message = f"RequestId: {inv.request_id} Error: Runtime exited with error: signal: killed"
        now = int(env.pool.clock.now() * 1000)
        inv.lines += [(now, message), (now, OOM)]
        body = json.dumps({"errorType": OOM, "errorMessage": message}).encode()
        inv.finish(body, OOM)
        env.kill()
        return body, OOM

    def stop(self, body: bytes, error_type: str | None) -> tuple[bytes, str | None]:
        """The invocation answered: had it gone past its memory on the way, it fails as killed."""
        self.handle.cancel()
        if error_type == OOM or self.env.state == "dead":
            return body, error_type
        if _status_kb(self.env.pid, "VmHWM:") > self.limit_kb:
            return self._kill()
        return body, error_type

