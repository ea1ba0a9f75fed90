"""Process handling shared by the bench scripts: every server or driver they
start is tracked here and stopped on exit, error, Ctrl-C or SIGTERM.

Each child runs in its own session (so its whole process group can be
stopped by its id) and gets ``PR_SET_PDEATHSIG`` = SIGKILL, so it dies even if
the bench script itself is killed with SIGKILL.
"""
from __future__ import annotations

import atexit
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
_PR_SET_PDEATHSIG = 1

_children: list[subprocess.Popen] = []
_handlers_installed = False


def _preexec(cpus):
    def setup():
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except Exception:
            pass
        if cpus:
            try:
                os.sched_setaffinity(0, cpus)
            except OSError:
                pass
    return setup


def _on_signal(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def install_handlers() -> None:
    """Turn SIGTERM/SIGHUP into KeyboardInterrupt so ``finally`` blocks run; stop children at exit."""
    global _handlers_installed
    if _handlers_installed:
        return
    _handlers_installed = True
    for sig in (signal.SIGTERM, signal.SIGHUP):
        try:
            signal.signal(sig, _on_signal)
        except (ValueError, OSError):
            pass
    atexit.register(stop_all)


def spawn(cmd: list[str], *, cpus: set[int] | None = None, stdout=subprocess.DEVNULL,
          stderr=subprocess.DEVNULL, env=None) -> subprocess.Popen:
    """Start ``cmd`` in a new session, tracked for clean-up, optionally pinned to ``cpus``."""
    install_handlers()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, env=env,
                            start_new_session=True, preexec_fn=_preexec(cpus), close_fds=True)
    _children.append(proc)
    return proc


def stop(proc: subprocess.Popen, timeout: float = 5.0) -> None:
    """SIGTERM the child's process group, then SIGKILL it if it is still there after ``timeout``."""
    if proc.poll() is None:
        _signal_group(proc, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
    # Whatever is left of the group (the leader or anything it started) goes now.
    _signal_group(proc, signal.SIGKILL)
    try:
        proc.wait(2)
    except subprocess.TimeoutExpired:
        pass
    if proc in _children:
        _children.remove(proc)


def _signal_group(proc: subprocess.Popen, sig) -> None:
    try:
        os.killpg(proc.pid, sig)   # the child is its own session's (and group's) leader
    except (ProcessLookupError, PermissionError):
        pass


def stop_all() -> None:
    for proc in list(_children):
        stop(proc, timeout=3.0)


def unpin(pid: int) -> None:
    """Let every thread of ``pid`` and its children run on any CPU again."""
    everything = set(range(os.cpu_count() or 1))
    for p in [pid, *_descendants(pid)]:
        try:
            tasks = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                os.sched_setaffinity(int(tid), everything)
            except OSError:
                pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get_status(port: int, path: str, timeout: float = 5.0, request: bytes | None = None) -> int | None:
    """Send one request on a new connection; the response's status code, or None."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(request or f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
            data = b""
            while b"\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            if data.startswith(b"HTTP/1.") and len(data) >= 12:
                return int(data[9:12])
    except (OSError, ValueError):
        pass
    return None


def wait_ready(proc: subprocess.Popen, port: int, path: str, timeout: float = 60.0,
               interval: float = 0.002, need_200: bool = False) -> float:
    """Poll (a connect attempt every ``interval`` s) until ``GET path`` is answered.

    Returns the seconds since the call; raises if the process exits or ``timeout`` passes.
    """
    t0 = time.perf_counter()
    deadline = t0 + timeout
    while True:
        status = http_get_status(port, path, timeout=max(0.5, min(5.0, deadline - time.perf_counter())))
        if status is not None and (status == 200 or not need_200):
            return time.perf_counter() - t0
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with status {proc.returncode} before answering")
        if time.perf_counter() >= deadline:
            raise TimeoutError(f"no {'200 ' if need_200 else ''}answer to GET {path} on port {port} "
                               f"within {timeout:g} s")
        time.sleep(interval)


def rss_kib(pid: int, tree: bool = True) -> int:
    """VmRSS of ``pid`` in KiB (plus its descendants' when ``tree``)."""
    total = _vmrss(pid)
    if tree:
        for child in _descendants(pid):
            total += _vmrss(child)
    return total


def cpu_seconds(pid: int, tree: bool = True) -> float:
    """User and system CPU time of ``pid`` (and its descendants'), in seconds."""
    total = 0.0
    for p in [pid, *(_descendants(pid) if tree else [])]:
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            continue
    return total


def wait_idle(pid: int, timeout: float = 120.0, window: float = 0.5, share: float = 0.05) -> float | None:
    """Wait until ``pid`` uses under ``share`` of a CPU over ``window`` s: a server
    still working through a load's unfinished requests would take the CPU of the
    next load. The seconds waited, or None when it was still busy at ``timeout``."""
    start = time.monotonic()
    before = cpu_seconds(pid)
    while True:
        time.sleep(window)
        now = cpu_seconds(pid)
        if now - before < share * window:
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            return None
        before = now


def _vmrss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _descendants(pid: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        parents.setdefault(ppid, []).append(int(name))
    out, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def nubis_command() -> list[str]:
    """``nubis`` as installed next to this interpreter (not through a shim), else ``python -m nubis``."""
    script = os.path.join(os.path.dirname(sys.executable), "nubis")
    if os.path.isfile(script) and os.access(script, os.X_OK):
        return [script]
    return [sys.executable, "-m", "nubis"]


def nubis_start_command(port: int) -> list[str]:
    return nubis_command() + ["start", "--host", "127.0.0.1", "--port", str(port), "--ephemeral",
                              "--log-level", "warning"]


def nubis_enforcing_command(port: int) -> list[str]:
    """nubis with IAM enforcement on: every request's SigV4 signature is verified."""
    return nubis_start_command(port) + ["--enforce-iam"]


def bare_command(port: int) -> list[str]:
    return [sys.executable, os.path.join(HERE, "bare_asgi.py"), "--host", "127.0.0.1", "--port", str(port)]


def moto_command(port: int) -> list[str] | None:
    """moto's server if moto (with its server extras) is importable here, else None."""
    import importlib.util

    if importlib.util.find_spec("moto") is None or importlib.util.find_spec("flask") is None:
        return None
    return [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]


# Credentials a peer insists on, passed to the load scripts as BENCH_ACCESS_KEY/BENCH_SECRET_KEY.
CREDENTIALS = {"s3rver": ("S3RVER", "S3RVER")}


def credentials_env(server: str) -> dict | None:
    if server not in CREDENTIALS:
        return None
    key, secret = CREDENTIALS[server]
    return dict(os.environ, BENCH_ACCESS_KEY=key, BENCH_SECRET_KEY=secret)


def s3rver_command(port: int) -> list[str] | None:
    """s3rver (the npm S3 emulator), an optional peer for the S3 scenarios: from
    ``$S3RVER``, ``bench/node_modules`` (``npm install --prefix bench s3rver``) or
    the PATH; None when absent."""
    import shutil
    import tempfile

    exe = _npm_peer("S3RVER", "s3rver")
    if exe is None:
        return None
    data = tempfile.mkdtemp(prefix="s3rver-")
    # Pre-built requests carry a signature made once: s3rver must not check it.
    return [exe, "-d", data, "-a", "127.0.0.1", "-p", str(port), "--silent", "--allow-mismatched-signatures",
            "--no-vhost-buckets"]


def _npm_peer(env: str, name: str) -> str | None:
    """An npm emulator's executable: ``$<env>``, ``bench/node_modules/.bin/<name>``
    (``npm install --prefix bench <name>``) or the PATH; None when absent."""
    import shutil

    candidates = [os.environ.get(env), os.path.join(HERE, "node_modules", ".bin", name), shutil.which(name)]
    return next((c for c in candidates if c and os.path.isfile(c)), None)


def dynalite_command(port: int) -> list[str] | None:
    """dynalite (the npm DynamoDB emulator, in memory), an optional peer for the DynamoDB scenarios."""
    exe = _npm_peer("DYNALITE", "dynalite")
    return None if exe is None else [exe, "--host", "127.0.0.1", "--port", str(port)]


def kinesalite_command(port: int) -> list[str] | None:
    """kinesalite (the npm Kinesis emulator, in memory), an optional peer for the Kinesis scenarios."""
    exe = _npm_peer("KINESALITE", "kinesalite")
    # It has no --host; streams leave CREATING at once, as nubis's do for a describing client.
    return None if exe is None else [exe, "--port", str(port), "--createStreamMs", "0"]


def nubis_available() -> bool:
    try:
        r = subprocess.run(nubis_command() + ["start", "--help"], capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return r.returncode == 0
