"""Execution environments: a function version's code running in a process of its own.

An environment is a process started with its runtime's bootstrap, a Runtime
API listener (``runtime_api.py``) on a loopback port of its own, and pipes
for its stdout and stderr. It runs one invocation at a time; when it answers,
it waits warm for the next. A pool keeps them per function version (and
revision: changed code or configuration gets fresh environments), starts one
when none is idle, kills one that timed out, crashed or failed its init, and
reaps idle ones on the controllable clock.

Output (stdout and stderr share one pipe, so their lines keep their order,
as in one log stream) is read by a subprocess protocol (``process.py``
starts the process; ``spares.py`` may have started it ahead). nubis's own
runtime clients end an invocation's output with a marker line before they post its
result; the invocation ends when both have arrived, so none of its lines
slips into the next one's log.
"""
from __future__ import annotations

import asyncio
import base64
import datetime as _dt
import json
import logging
import os
import shutil
import signal
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field

from ...protocol.errors import ServiceError
from . import code as codes
from . import memory, process, runtime_api
from .spares import Spares
from .spares import fits as spares_fit
from .logs import invocation_log

log = logging.getLogger("nubis.lambda")

CLIENTS = os.path.join(os.path.dirname(__file__), "clients")
INIT_LIMIT = 10.0          # seconds an init may take before the invocation fails
END_MARK = b"\x1fnubis-lambda-end "   # what the runtime clients write after an invocation's output
TAIL_BYTES = 4096
PRINCIPAL = "lambda.amazonaws.com"
CREDENTIALS_MARGIN = 300.0  # seconds before its role session expires that an environment is retired


@dataclass
class Target:
    """One function version, as an environment runs it."""

    account: str
    region: str
    name: str
    version: str          # "$LATEST" or "3"
    config: dict
    code_blob: str
    layers: list[str] = field(default_factory=list)  # layer blobs, in order

    @property
    def key(self) -> tuple:
        return (self.account, self.region, self.name, self.version, self.config.get("RevisionId"))

    @property
    def function_key(self) -> tuple:
        return (self.account, self.region, self.name)


@dataclass
class Result:
    payload: bytes
    error_type: str | None = None      # set: a function error ("Unhandled")
    log_tail: str = ""                 # base64 of the log's last 4 KB


class Invocation:
    __slots__ = ("request_id", "payload", "arn", "client_context", "identity", "trace_id", "future", "lines",
                 "picked", "deadline_ms", "timer", "started", "begun_ms", "sink")

    def __init__(self, payload: bytes, arn: str, client_context: str | None, request_id: str | None = None,
                 sink=None):
        self.request_id = request_id or str(uuid.uuid4())
        self.payload = payload
        self.arn = arn
        self.client_context = client_context
        self.identity = None
        # An X-Ray trace header, as Lambda passes one even when tracing is off.
        trace = uuid.uuid4().hex
        self.trace_id = f"Root=1-{int(time.time()):08x}-{trace[:24]};Parent={trace[16:]};Sampled=0"
        self.future: asyncio.Future = asyncio.get_running_loop().create_future()
        self.lines: list[tuple[int, str]] = []
        self.picked = 0.0
        self.deadline_ms = 0
        self.timer: asyncio.TimerHandle | None = None
        self.started = 0.0
        self.begun_ms = 0
        self.sink = sink  # a streamed response's reader (streaming.StreamedRun), or None

    def finish(self, body: bytes, error_type: str | None = None) -> bool:
        if self.future.done():
            return False
        if self.timer is not None:
            self.timer.cancel()
        self.future.set_result((body, error_type))
        return True


def _error_body(kind: str, message: str) -> bytes:
    return json.dumps({"errorType": kind, "errorMessage": message}).encode()


class _Pipes(asyncio.SubprocessProtocol):
    def __init__(self, env: "Environment"):
        self.env = env

    def pipe_data_received(self, fd: int, data: bytes) -> None:
        self.env.output(fd, data)

    def pipe_connection_lost(self, fd: int, exc) -> None:
        self.env.pipe_closed()

    def process_exited(self) -> None:
        self.env.process_gone()


class Environment:
    def __init__(self, pool: "Pool", target: Target):
        self.pool = pool
        self.target = target
        self.state = "starting"
        self.current: Invocation | None = None
        self.queue: asyncio.Queue[Invocation] = asyncio.Queue()
        self.server: asyncio.AbstractServer | None = None
        self.transport: process.Process | None = None
        self.pid: int | None = None
        self.partial = b""
        self.own_client = False
        self.marked: str | None = None           # request id of the last end marker seen
        self.mark_waiter: asyncio.Future | None = None
        self.init_lines: list[tuple[int, str]] = []
        self.init_failure: tuple[bytes, str] | None = None
        self.spawned = 0.0
        self.init_ms: float | None = None     # reported once, with the first invocation
        self.init_reported = False
        self.last_used = pool.clock.now()
        day = pool.clock.datetime().strftime("%Y/%m/%d")
        self.stream = f"{day}/[{target.version}]{uuid.uuid4().hex}"
        self.tmp: str | None = None
        self.gone = self.pipe_done = self.exit_handled = False
        self.credentials: dict | None = None   # the execution role's session, or None: the account's keys
        self.expires: float | None = None       # when that session ends, on the clock

    # -- starting -----------------------------------------------------------------------

    async def start(self) -> None:
        """Unpack, listen, spawn; an error here is an init error of the first invocation."""
        t = self.target
        cfg = t.config
        blobs = self.pool.blobs
        task_root = await asyncio.to_thread(codes.unpacked, self.pool.cache_root, blobs.path(t.code_blob),
                                            t.code_blob)
        opt = await asyncio.to_thread(codes.merged_layers, self.pool.cache_root,
                                      [(b, blobs.path(b)) for b in t.layers])
        self.server = await runtime_api.serve(self)
        port = self.server.sockets[0].getsockname()[1]
        self.tmp = tempfile.mkdtemp(prefix="nubis-lambda-tmp-")
        await self._assume_role()
        argv = self._command(cfg.get("Runtime", ""), task_root, opt)
        env = self._variables(task_root, opt, f"127.0.0.1:{port}")
        spares = self.pool.spares
        spare = None
        if argv[0] == sys.executable and opt is None and spares_fit(env, spares.base_variables()):
            spare = spares.take()
            spares.fill_later()
        self.spawned = time.monotonic()
        if spare is not None:
            spare.assign(self, env, task_root)
            self.transport, self.pid = spare.transport, spare.pid
            return
        self.transport = await process.start(_Pipes(self), argv, env, task_root)
        self.pid = self.transport.get_pid()

    async def _assume_role(self) -> None:
        """The execution role's credentials, as Lambda gets them: AssumeRole as lambda.amazonaws.com,
        the session named after the function, for as long as the role allows."""
        t = self.target
        role = t.config.get("Role") or ""
        parts = role.split(":", 5)
        if len(parts) != 6 or not parts[5].startswith("role/"):
            return
        where = dict(region=t.region, principal=PRINCIPAL)
        call = self.pool.provider.internal.call
        try:
            found = await call("iam", "GetRole", {"RoleName": parts[5].rsplit("/", 1)[-1]}, account=parts[4],
                               **where)
            duration = int(found["Role"].get("MaxSessionDuration") or 3600)
            out = await call("sts", "AssumeRole", {"RoleArn": role, "RoleSessionName": t.name[:64],
                                                   "DurationSeconds": duration}, account=t.account, **where)
        except ServiceError as e:
            # Most functions name a role that is not in IAM (or does not trust Lambda): the account's keys.
            log.debug("function %s runs with the account's keys: role %s: %s %s", t.name, role, e.code, e.message)
            return
        self.credentials = out["Credentials"]
        self.expires = self.pool.clock.now() + duration

    def expiring(self, now: float) -> bool:
        return self.expires is not None and now >= self.expires - CREDENTIALS_MARGIN

    def _command(self, runtime: str, task_root: str, opt: str | None) -> list[str]:
        if runtime.startswith("python"):
            self.own_client = True
            return [sys.executable, os.path.join(CLIENTS, "python_bootstrap.py")]
        if runtime.startswith("nodejs"):
            node = shutil.which("node")
            if node is None:
                raise EntrypointError("nubis found no 'node' on this machine to run a Node.js function")
            self.own_client = True
            return [node, os.path.join(CLIENTS, "node_bootstrap.js")]
        # provided.*: the package's own bootstrap (or a layer's).
        candidates = [os.path.join(task_root, "bootstrap")] + ([os.path.join(opt, "bootstrap")] if opt else [])
        for path in candidates:
            if os.path.isfile(path) and os.access(path, os.X_OK):
                return [path]
        if not runtime.startswith("provided"):
            raise EntrypointError(f"nubis cannot run the {runtime} runtime yet")
        raise EntrypointError("Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]")

    def _variables(self, task_root: str, opt: str | None, api: str) -> dict[str, str]:
        t, cfg, pool = self.target, self.target.config, self.pool
        env = {
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "TMPDIR": self.tmp,
            "HOME": self.tmp,
            "LAMBDA_TASK_ROOT": task_root,
            "LAMBDA_RUNTIME_DIR": CLIENTS,
            "AWS_LAMBDA_RUNTIME_API": api,
            "_HANDLER": cfg.get("Handler", ""),
            "AWS_REGION": t.region,
            "AWS_DEFAULT_REGION": t.region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{cfg.get('Runtime', '')}",
            "AWS_LAMBDA_FUNCTION_NAME": t.name,
            "AWS_LAMBDA_FUNCTION_VERSION": t.version,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(cfg.get("MemorySize", 128)),
            "AWS_LAMBDA_INITIALIZATION_TYPE": getattr(self, "init_type", "on-demand"),  # see provisioned.py
            "AWS_LAMBDA_LOG_GROUP_NAME": log_group(cfg),
            "AWS_LAMBDA_LOG_STREAM_NAME": self.stream,
            # Without an execution role session: the account id as the key id, so
            # that calls back into nubis are made as this account.
            "AWS_ACCESS_KEY_ID": t.account,
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_ENDPOINT_URL": pool.endpoint,
        }
        if self.credentials is not None:
            env["AWS_ACCESS_KEY_ID"] = self.credentials["AccessKeyId"]
            env["AWS_SECRET_ACCESS_KEY"] = self.credentials["SecretAccessKey"]
            env["AWS_SESSION_TOKEN"] = self.credentials["SessionToken"]
        elif not getattr(pool.provider.config, "enforce_iam", False):
            # Lambda always gives a session token; with IAM enforced, nubis would
            # refuse one that no STS session issued.
            env["AWS_SESSION_TOKEN"] = "test"
        logging_cfg = cfg.get("LoggingConfig") or {}
        if logging_cfg.get("LogFormat") == "JSON":
            env["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
            env["AWS_LAMBDA_LOG_LEVEL"] = logging_cfg.get("ApplicationLogLevel") or "INFO"
        if opt:
            env["NUBIS_LAMBDA_OPT"] = opt
            env["PATH"] = os.path.join(opt, "bin") + os.pathsep + env["PATH"]
            env["LD_LIBRARY_PATH"] = os.path.join(opt, "lib")
            env["NODE_PATH"] = os.path.join(opt, "nodejs", "node_modules")
        env.update((cfg.get("Environment") or {}).get("Variables") or {})
        return env

    # -- the Runtime API's side ------------------------------------------------------------

    async def next_event(self) -> tuple[list[tuple[str, str]], bytes]:
        if self.init_ms is None:
            self.init_ms = (time.monotonic() - self.spawned) * 1000
        inv = await self.queue.get()
        inv.picked = time.monotonic()
        timeout = self.target.config.get("Timeout", 3)
        inv.deadline_ms = int(time.time() * 1000 + timeout * 1000)
        inv.timer = asyncio.get_running_loop().call_later(timeout, self._timed_out, inv)
        headers = [("Lambda-Runtime-Aws-Request-Id", inv.request_id),
                   ("Lambda-Runtime-Deadline-Ms", str(inv.deadline_ms)),
                   ("Lambda-Runtime-Invoked-Function-Arn", inv.arn),
                   ("Lambda-Runtime-Trace-Id", inv.trace_id)]
        if inv.client_context:
            headers.append(("Lambda-Runtime-Client-Context", inv.client_context))
        if inv.identity:
            headers.append(("Lambda-Runtime-Cognito-Identity", inv.identity))
        return headers, inv.payload

    def invocation_response(self, request_id: str, body: bytes) -> bool:
        inv = self.current
        return inv is not None and inv.request_id == request_id and inv.finish(body)

    def stream_begin(self, request_id: str, content_type: str | None):
        """A streamed response begins: the reader its chunks go to, or None (read it whole)."""
        inv = self.current
        if inv is None or inv.request_id != request_id or inv.sink is None:
            return None
        inv.sink.begin(content_type)
        return inv.sink

    def invocation_error(self, request_id: str, body: bytes, error_type: str | None) -> bool:
        inv = self.current
        if inv is None or inv.request_id != request_id:
            return False
        return inv.finish(body or _error_body(error_type or "Unhandled", ""), error_type or "Unhandled")

    def init_error(self, body: bytes, error_type: str | None) -> None:
        self.init_failure = (body, error_type or "Runtime.Unknown")
        if self.current is not None:
            self.current.finish(body, error_type or "Runtime.Unknown")
        self.kill()

    # -- the process's side -----------------------------------------------------------------

    def output(self, fd: int, data: bytes) -> None:
        *lines, self.partial = (self.partial + data).split(b"\n")
        if not lines:
            return
        now = int(self.pool.clock.now() * 1000)
        sink = self.current.lines if self.current is not None and self.current.picked else self.init_lines
        for line in lines:
            if line.startswith(END_MARK):
                self.marked = line[len(END_MARK):].decode("latin-1")
                if self.mark_waiter is not None and not self.mark_waiter.done():
                    self.mark_waiter.set_result(None)
                continue
            sink.append((now, line.decode("utf-8", "replace")))

    def process_gone(self) -> None:
        """The process ended: once its output is all in (the pipe closed, or a
        moment passed), its invocation ends too."""
        self.gone = True
        self._killpg()  # what it left running would hold the pipe open
        if self.pipe_done:
            self.exited()
        else:
            asyncio.get_running_loop().call_later(0.2, self.exited)

    def pipe_closed(self) -> None:
        self.pipe_done = True
        if self.gone:
            self.exited()

    def exited(self) -> None:
        if self.exit_handled:
            return
        self.exit_handled = True
        inv = self.current
        if inv is not None and not inv.future.done():
            code = self.transport.get_returncode() if self.transport is not None else None
            if self.init_failure is not None:
                inv.finish(*self.init_failure)
            else:
                if not code:
                    why = "Runtime exited without providing a reason"
                elif code < 0:
                    why = f"Runtime exited with error: signal: {signal.Signals(-code).name.lower()[3:]}"
                else:
                    why = f"Runtime exited with error: exit status {code}"
                inv.finish(_error_body("Runtime.ExitError", f"RequestId: {inv.request_id} Error: {why}"),
                           "Runtime.ExitError")
        self.kill()

    def _timed_out(self, inv: Invocation) -> None:
        seconds = self.target.config.get("Timeout", 3)
        stamp = self.pool.clock.datetime().strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        inv.lines.append((int(self.pool.clock.now() * 1000),
                          f"{stamp} {inv.request_id} Task timed out after {seconds:.2f} seconds"))
        inv.finish(_error_body("Sandbox.Timedout",
                               f"RequestId: {inv.request_id} Error: Task timed out after {seconds:.2f} seconds"),
                   "Sandbox.Timedout")
        self.kill()

    def kill(self) -> None:
        if self.state == "dead":
            return
        self.state = "dead"
        self.pool.forget(self)
        self._killpg()
        if self.server is not None:
            self.server.close()
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
        self.queue = asyncio.Queue()

    def _killpg(self) -> None:
        if self.pid is not None:
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def max_memory_mb(self) -> int:
        try:
            with open(f"/proc/{self.pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return max(1, int(line.split()[1]) // 1024)
        except (OSError, ValueError):
            pass
        return getattr(self, "peak_mb", 0)  # the process is gone (memory.py noted its peak)

    # -- running one invocation -----------------------------------------------------------------

    async def run(self, inv: Invocation) -> tuple[bytes, str | None, float]:
        """Hand ``inv`` to the runtime; (body, error type or None, duration ms)."""
        self.current = inv
        inv.started = time.monotonic()
        inv.begun_ms = int(self.pool.clock.now() * 1000)
        watch = None
        if self.init_failure is not None:
            inv.finish(*self.init_failure)
        elif self.state == "dead":  # stopped while it started
            inv.finish(_error_body("Runtime.ExitError", f"RequestId: {inv.request_id} Error: Runtime exited "
                                                        "before the invocation began"), "Runtime.ExitError")
        else:
            self.state = "busy"
            self.queue.put_nowait(inv)
            watch = memory.Watch(self, inv)  # MemorySize
            if self.init_ms is None:
                # A runtime that never asks for its first event has failed its init.
                inv.timer = asyncio.get_running_loop().call_later(
                    INIT_LIMIT + self.target.config.get("Timeout", 3), self._init_timed_out, inv)
        body, error_type = await inv.future
        if watch is not None:
            body, error_type = watch.stop(body, error_type)
        if self.own_client and self.state == "busy" and self.marked != inv.request_id:
            # The result came in before the last of the output: wait for its marker.
            self.mark_waiter = asyncio.get_running_loop().create_future()
            try:
                await asyncio.wait_for(self.mark_waiter, 1.0)
            except asyncio.TimeoutError:
                pass
            self.mark_waiter = None
        self.current = None
        duration = (time.monotonic() - (inv.picked or inv.started)) * 1000
        if self.state == "busy":
            self.state = "idle"
            self.last_used = self.pool.clock.now()
        return body, error_type, duration

    def _init_timed_out(self, inv: Invocation) -> None:
        if not inv.picked:
            inv.finish(_error_body("Runtime.Unknown", f"RequestId: {inv.request_id} Error: init timed out"),
                       "Runtime.Unknown")
            self.kill()


class EntrypointError(Exception):
    pass


def log_group(config: dict) -> str:
    return (config.get("LoggingConfig") or {}).get("LogGroup") or f"/aws/lambda/{config['FunctionName']}"


class Pool:
    def __init__(self, provider):
        self.provider = provider
        self.clock = provider.clock
        self.blobs = provider.blobs
        self.cache_root = os.path.join(provider.runtime.data_dir, "lambda")
        config = provider.config
        host = "127.0.0.1" if config.host in ("127.0.0.1", "0.0.0.0", "::", "localhost") else config.host
        self.endpoint = f"http://{host}:{config.port}"
        self.idle: dict[tuple, list[Environment]] = {}
        self.all: set[Environment] = set()
        self.active: dict[tuple, int] = {}    # function -> invocations under way
        self.spares = Spares(self)           # Python processes started ahead of cold starts

    def forget(self, env: Environment) -> None:
        self.all.discard(env)
        idle = self.idle.get(env.target.key)
        if idle and env in idle:
            idle.remove(env)

    def retire(self, function_key: tuple, version: str | None = None, keep: tuple | None = None) -> None:
        """Kill the idle environments of a function (of one version; all but those of ``keep``).
        Busy ones finish their invocation; nothing picks them again, and they are reaped."""
        for env in list(self.all):
            t = env.target
            if (t.function_key == function_key and (version is None or t.version == version) and t.key != keep
                    and env.state == "idle"):
                env.kill()

    def reap(self, idle_seconds: float) -> int:
        now = self.clock.now()
        cutoff = now - idle_seconds
        stale = [e for e in self.all if e.state == "idle" and (e.last_used <= cutoff or e.expiring(now))]
        for env in stale:
            env.kill()
        if not self.all:
            self.spares.stop()  # Lambda is not in use: keep nubis light
        return len(stale)

    def shutdown(self) -> None:
        self.spares.stop()
        for env in list(self.all):
            env.kill()

    async def invoke(self, target: Target, payload: bytes, arn: str, client_context: str | None = None,
                     reserved: int | None = None, tail: bool = False, request_id: str | None = None,
                     sink=None) -> Result:
        fkey = target.function_key
        if reserved is not None and self.active.get(fkey, 0) >= reserved:
            raise ServiceError("TooManyRequestsException", "Rate Exceeded.", status=429, Type="User",
                               Reason="ReservedFunctionConcurrentInvocationLimitExceeded")
        if sum(self.active.values()) >= self.provider.concurrency_limit:
            raise ServiceError("TooManyRequestsException", "Rate Exceeded.", status=429, Type="User",
                               Reason="ConcurrentInvocationLimitExceeded")
        inv = Invocation(payload, arn, client_context, request_id, sink)
        self.active[fkey] = self.active.get(fkey, 0) + 1
        try:
            return await self._invoke(target, inv, tail)
        finally:
            left = self.active[fkey] - 1
            if left:
                self.active[fkey] = left
            else:
                del self.active[fkey]

    async def _invoke(self, target: Target, inv: Invocation, tail: bool) -> Result:
        idle = self.idle.get(target.key)
        env = idle.pop() if idle else None
        while env is not None and env.expiring(self.clock.now()):  # its role session is about to end
            env.kill()
            env = idle.pop() if idle else None
        cold = env is None
        if cold:
            self.retire(target.function_key, target.version, keep=target.key)
            env = Environment(self, target)
            self.all.add(env)
            self.provider.environment_started()
            try:
                await env.start()
            except (EntrypointError, OSError) as e:  # OSError: a bootstrap the kernel cannot exec
                env.kill()
                return self._finish(env, inv, _error_body("Runtime.InvalidEntrypoint", str(e)),
                                    "Runtime.InvalidEntrypoint", 0.0, tail)
            except Exception as e:
                log.exception("starting an environment for %s", target.name)
                env.kill()
                return self._finish(env, inv, _error_body("Runtime.Unknown", str(e)), "Runtime.Unknown", 0.0, tail)
        body, error_type, duration = await env.run(inv)
        if env.state == "idle":
            self.idle.setdefault(target.key, []).append(env)
        return self._finish(env, inv, body, error_type, duration, tail)

    def _finish(self, env: Environment, inv: Invocation, body: bytes, error_type: str | None,
                duration: float, tail: bool) -> Result:
        t = env.target
        now = int(self.clock.now() * 1000)
        init_ms = None
        if env.init_ms is not None and not env.init_reported:
            env.init_reported = True
            init_ms = env.init_ms
        events = env.init_lines + invocation_log(
            t.config.get("LoggingConfig") or {}, inv.request_id, t.version, inv.begun_ms or now, now, inv.lines,
            duration, t.config.get("MemorySize", 128), env.max_memory_mb(), init_ms, error_type is not None)
        env.init_lines = []
        events.sort(key=lambda e: e[0])  # stable: lines of one instant keep their order
        self.provider.logs.write(t.account, t.region, log_group(t.config), env.stream, events)
        log_tail = ""
        if tail:
            text = "".join(m + "\n" for _, m in events).encode("utf-8")[-TAIL_BYTES:]
            log_tail = base64.b64encode(text).decode()
        return Result(body, error_type, log_tail)


def lambda_time(t: float) -> str:
    """LastModified as Lambda writes it: 2024-01-31T12:00:00.000+0000."""
    d = _dt.datetime.fromtimestamp(t, _dt.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}+0000"
