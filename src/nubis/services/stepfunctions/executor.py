"""One execution of a state machine: the interpreter of its states.

A STANDARD execution writes each history event as it happens and, before it
enters a top-level state (and where a top-level Wait, callback or retry
begins), a checkpoint: the state, its input, the variables, the next event id.
A restart resumes every running execution from its checkpoint, dropping the
events written after it; a Parallel or Map runs again from its start, its
sleeps keeping the ends their timers had and its callback tasks their tokens.
A Wait, a retry's backoff and a task's timeout sleep on durable
``stepfunctions:wake`` timers, so the controllable clock moves them. An
EXPRESS execution keeps nothing: no history, no SQLite, in-memory sleeps.
"""
from __future__ import annotations

import asyncio
import functools
import json
import random
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from . import language as asl
from .execution_logs import ExecutionLog
from .language import StatesError

if TYPE_CHECKING:
    from .provider import StepFunctionsProvider

WAKE = "stepfunctions:wake"


class Failure(Exception):
    """A state (or branch) failed with an error and a cause."""

    def __init__(self, error: str, cause: str = "", prev: int | None = None):
        super().__init__(error)
        self.error, self.cause, self.prev = error or "", cause or "", prev


def dumps(value) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _with_data(details: dict, key: str, value) -> None:
    details[key] = dumps(value)
    details[key + "Details"] = {"truncated": False}


class Branch:
    """Where a thread of the interpreter is: its events' chain, variables and language."""

    __slots__ = ("prev", "variables", "language", "top", "map_item", "path")

    def __init__(self, prev: int, variables: dict, language: str, top: bool, map_item=None, path: str = ""):
        self.prev, self.variables, self.language, self.top, self.map_item = prev, variables, language, top, map_item
        # Where in the machine the thread is ("/P[1]/M[7]"): the same on a run after a restart.
        self.path = path


class Run:
    def __init__(self, p: "StepFunctionsProvider", doc: dict, definition: dict, express: bool):
        self.p = p
        self.doc = doc
        self.arn = doc["executionArn"]
        self.definition = definition
        self.express = express
        # CloudWatch Logs records, when the machine logs; an EXPRESS execution
        # without them builds no events at all.
        self.log = ExecutionLog.of(doc.get("_logging"))
        self.recording = not express or self.log is not None
        self.next_id = 1
        self.task: asyncio.Task | None = None
        self.done = asyncio.get_running_loop().create_future()
        # Sleeps and callbacks: what a timer, a token or StopExecution resolves.
        self.waiting: dict[str, asyncio.Future] = {}
        self.arrived: dict[str, list] = {}
        self.live = 0
        self.blocked = 0
        self.settled = asyncio.Event()
        self.machine_language = definition.get("QueryLanguage", "JSONPath")
        self.context_base = {
            "Execution": {"Id": self.arn, "Input": doc.get("_input"), "Name": doc["name"],
                          "RoleArn": doc.get("_roleArn"), "StartTime": doc.get("_startTime"),
                          "RedriveCount": doc.get("redriveCount", 0)},
            "StateMachine": {"Id": doc["stateMachineArn"], "Name": doc["stateMachineArn"].split(":")[6]},
        }

    _rand: random.Random | None = None

    @property
    def rand(self) -> random.Random:
        """Retry jitter's randomness, seeded by the execution (made on first use: most never retry)."""
        if self._rand is None:
            self._rand = random.Random(self.arn)
        return self._rand

    def quiet_twin(self) -> "Run":
        """This execution without history or durable timers: what runs a
        distributed Map's iterations (child executions, not the parent's events)."""
        twin = Run.__new__(Run)
        twin.__dict__.update(self.__dict__)
        twin.express = True
        twin.log, twin.recording = None, False
        twin.waiting, twin.arrived = {}, {}
        twin.live, twin.blocked = 1, 0
        twin.settled = asyncio.Event()
        return twin

    # -- history ---------------------------------------------------------------------------------

    closed = False  # the execution's last event is written: threads still unwinding add none

    def event(self, type_: str, prev: int, details_key: str | None = None, details: dict | None = None) -> int:
        if not self.recording or self.closed:
            return 0
        eid = self.next_id
        self.next_id += 1
        ev = {"timestamp": self.p.clock.now(), "type": type_, "id": eid, "previousEventId": prev}
        if details_key is not None:
            ev[details_key] = details or {}
        if not self.express:
            self.p.store.add_event(self.arn, ev)
        if self.log is not None:
            self.log.add(self, ev)
        return eid

    def latest(self) -> int:
        """The id of the last event written: what a Parallel's or Map's end follows
        (the last of its branches or iterations to finish)."""
        return self.next_id - 1 if self.recording else 0

    def checkpoint(self, **point) -> None:
        if not self.express:
            point["next_id"] = self.next_id
            self.p.store.set_checkpoint(self.arn, point)

    # -- blocking and waking -----------------------------------------------------------------------
    # ``live`` threads run (a parent waiting for its branches is not one);
    # ``blocked`` of them wait for a timer, a token or a child. The execution
    # is settled when every live thread is blocked.

    def _check(self) -> None:
        if self.live <= self.blocked:
            self.settled.set()
        else:
            self.settled.clear()

    async def block_on(self, key: str):
        """Wait until ``resolve(key, value)``; return the value."""
        if self.arrived.get(key):
            return self.arrived[key].pop(0)
        fut = self.waiting[key] = asyncio.get_running_loop().create_future()
        self.blocked += 1
        self._check()
        try:
            return await fut
        finally:
            if not fut.done() or fut.cancelled():
                self.blocked -= 1
                self._check()
            self.waiting.pop(key, None)

    def resolve(self, key: str, value=None) -> bool:
        fut = self.waiting.get(key)
        if fut is None or fut.done():
            self.arrived.setdefault(key, []).append(value)
            return False
        self.blocked -= 1
        fut.set_result(value)
        self._check()
        return True

    async def settle(self, limit: float = 10.0) -> None:
        """Return once every thread of the execution is blocked or it ended (or after
        ``limit`` real seconds: a timer handler awaits this, holding up later timers)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        while not self.done.done() and loop.time() < deadline:
            try:
                await asyncio.wait_for(self.settled.wait(), max(0.0, deadline - loop.time()))
            except asyncio.TimeoutError:
                return
            # A parent resumes a turn or two after its last branch ended.
            for _ in range(5):
                await asyncio.sleep(0)
            if self.live <= self.blocked:
                return

    async def sleep_until(self, when: float, key: str) -> None:
        if self.p.clock.now() >= when:
            return
        if self.express:
            self.blocked += 1
            self._check()
            try:
                await self.p.scheduler.sleep_until(when)
            finally:
                self.blocked -= 1
                self._check()
            return
        full = f"{self.arn}|{key}"
        if self.armed is not None:
            # Resumed after a restart: a sleep begun before it keeps its end.
            when = self.armed.pop(full, when)
            if self.p.clock.now() >= when:
                return
        self.p.scheduler.at(when, WAKE, {"execution": self.arn, "key": key}, key=full)
        try:
            while self.p.clock.now() < when:
                await self.block_on(key)
        finally:
            if not self.p.stopping:
                self.p.scheduler.cancel(WAKE, full)

    async def gather(self, coros: list) -> list:
        """Run ``coros`` as threads of this execution; their results, or the first failure
        (the other threads are cancelled)."""
        self.live += len(coros) - 1
        self._check()
        threads = [asyncio.ensure_future(self.thread(c)) for c in coros]
        try:
            await asyncio.wait(threads, return_when=asyncio.FIRST_EXCEPTION)
        finally:
            self.live += 1
            cancelled = [t for t in threads if not t.done()]
            for t in cancelled:
                t.cancel()
            self._check()
        if cancelled:
            # They record their end (an aborted iteration) before the failure goes on.
            await asyncio.wait(cancelled)
        failed = [t for t in threads if t.done() and not t.cancelled() and t.exception() is not None]
        if failed:
            raise failed[0].exception()
        return [t.result() for t in threads]

    async def thread(self, coro):
        try:
            return await coro
        finally:
            self.live -= 1
            self._check()

    # -- the execution -------------------------------------------------------------------------------

    def context(self, state_name: str, entered: float, retry: int = 0, branch: Branch | None = None) -> dict:
        ctx = dict(self.context_base)
        ctx["State"] = {"EnteredTime": _iso(entered), "Name": state_name, "RetryCount": retry}
        if branch is not None and branch.map_item is not None:
            ctx["Map"] = {"Item": {"Index": branch.map_item[0], "Value": branch.map_item[1]}}
        return ctx

    # The wake timers this execution had armed when nubis stopped (set on resuming).
    armed: dict[str, float] | None = None

    # The tokens of its tasks still waiting when nubis stopped, by where they are.
    tokens: dict[str, str] | None = None

    def resuming(self) -> None:
        prefix = self.arn + "|"
        self.armed = {t["timer_key"]: t["due"] for t in self.p.scheduler.pending(WAKE)
                      if (t["timer_key"] or "").startswith(prefix)}
        self.tokens = {doc["site"]: token for token, doc in self.p.store.tokens_of(self.arn) if doc.get("site")}

    def token_at(self, site: str) -> str | None:
        """The token a task at ``site`` had before a restart (so callbacks sent with it still work)."""
        return self.tokens.pop(site, None) if self.tokens else None

    async def main(self, checkpoint: dict | None = None) -> None:
        self.live += 1
        try:
            if checkpoint is None:
                data = self.doc.get("_input")
                branch = Branch(0, {}, self.machine_language, True)
                name, resume = self.definition["StartAt"], None
            else:
                self.next_id = checkpoint["next_id"]
                self.p.store.truncate_events(self.arn, self.next_id - 1)
                data = checkpoint["input"]
                branch = Branch(checkpoint["prev"], checkpoint["variables"], self.machine_language, True)
                name, resume = checkpoint["state"], checkpoint
            output = await self.states(self.definition["States"], name, data, branch, resume)
        except Failure as f:
            self.p.finish(self, "FAILED", error=f.error, cause=f.cause or None, prev=f.prev)
        except StatesError as e:
            self.p.finish(self, "FAILED", error=e.error, cause=e.cause)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # a fault of nubis itself must not leave the execution RUNNING forever
            import logging
            logging.getLogger("nubis.stepfunctions").exception("execution %s", self.arn)
            self.p.finish(self, "FAILED", error="States.Runtime", cause=f"nubis: {type(e).__name__}: {e}")
        else:
            self.p.finish(self, "SUCCEEDED", output=output, prev=self._last_prev)
        finally:
            self.live -= 1
            self._check()
            if not self.done.done():
                self.done.set_result(None)

    _last_prev = 0

    async def states(self, states: dict, name: str, data, branch: Branch, resume: dict | None = None):
        """Run from state ``name`` to an end; the output, or Failure."""
        while True:
            state = states.get(name)
            if state is None:
                raise Failure("States.Runtime", f"State '{name}' does not exist")
            if branch.top and resume is None:
                self.checkpoint(state=name, input=data, variables=branch.variables, prev=branch.prev)
            data, nxt = await self.state(name, state, data, branch, resume)
            resume = None
            if nxt is None:
                if branch.top:
                    self._last_prev = branch.prev
                return data
            name = nxt

    async def state(self, name: str, state: dict, data, branch: Branch, resume: dict | None):
        kind = state.get("Type")
        language = state.get("QueryLanguage", branch.language)
        saved = branch.language
        branch.language = language
        try:
            return await getattr(self, "_" + kind.lower())(name, state, data, branch, resume)
        except StatesError as e:
            raise Failure(e.error, e.cause) from None
        finally:
            branch.language = saved

    def entered(self, kind: str, name: str, data, branch: Branch) -> float:
        details = {"name": name}
        if self.recording:
            _with_data(details, "input", data)
        branch.prev = self.event(f"{kind}StateEntered", branch.prev, "stateEnteredEventDetails", details)
        return self.p.clock.now()

    def exited(self, kind: str, name: str, output, branch: Branch, assigned: dict | None = None) -> None:
        if not self.recording:
            return
        details = {"name": name}
        _with_data(details, "output", output)
        if assigned:
            details["assignedVariables"] = {k: dumps(v) for k, v in assigned.items()}
            details["assignedVariablesDetails"] = {"truncated": False}
        branch.prev = self.event(f"{kind}StateExited", branch.prev, "stateExitedEventDetails", details)

    def _finish_state(self, kind, name, state, data, result, branch, ctx):
        io = asl.state_io(state, branch.language)
        assigned = io.assign(data, result, ctx, branch.variables) if "Assign" in state else None
        output = io.result(data, result, ctx, branch.variables)
        if assigned:
            branch.variables = {**branch.variables, **assigned}
        self.exited(kind, name, output, branch, assigned)
        return output, (None if state.get("End") else state.get("Next"))

    # -- the state types ---------------------------------------------------------------------------------

    async def _pass(self, name, state, data, branch, resume):
        entered = self.entered("Pass", name, data, branch)
        ctx = self.context(name, entered, branch=branch)
        if "Result" in state:
            result = state["Result"]
        else:
            result = asl.state_io(state, branch.language).effective_input(data, ctx, branch.variables)
        return self._finish_state("Pass", name, state, data, result, branch, ctx)

    async def _succeed(self, name, state, data, branch, resume):
        entered = self.entered("Succeed", name, data, branch)
        ctx = self.context(name, entered, branch=branch)
        output = asl.state_io(state, branch.language).result(data, None, ctx, branch.variables)
        self.exited("Succeed", name, output, branch)
        return output, None

    async def _fail(self, name, state, data, branch, resume):
        entered = self.entered("Fail", name, data, branch)
        error, cause = asl.error_and_cause(state, data, self.context(name, entered, branch=branch), branch.variables,
                                           branch.language)
        raise Failure(error or "", cause or "", branch.prev)

    async def _choice(self, name, state, data, branch, resume):
        entered = self.entered("Choice", name, data, branch)
        ctx = self.context(name, entered, branch=branch)
        rule = asl.choose_rule(state, data, ctx, branch.variables, branch.language)
        nxt = rule.get("Next") if rule is not None else state.get("Default")
        if nxt is None:
            raise Failure("States.NoChoiceMatched", f"No Choice Rules matched and no Default was specified at "
                          f"State '{name}'.", branch.prev)
        # The matching rule's Assign and Output apply; the state's own, on the way to Default.
        source = rule if rule is not None else state
        acting = {k: val for k, val in state.items() if k not in ("Assign", "Output")}
        acting.update({k: source[k] for k in ("Assign", "Output") if k in source})
        io = asl.state_io(acting, branch.language)
        assigned = io.assign(data, None, ctx, branch.variables) if "Assign" in acting else None
        output = io.result(data, None, ctx, branch.variables)
        if assigned:
            branch.variables = {**branch.variables, **assigned}
        self.exited("Choice", name, output, branch, assigned)
        return output, nxt

    async def _wait(self, name, state, data, branch, resume):
        if resume is not None and "until" in resume:
            until = resume["until"]
        else:
            entered = self.entered("Wait", name, data, branch)
            ctx = self.context(name, entered, branch=branch)
            until = asl.wait_until(state, data, ctx, branch.variables, entered, branch.language)
            if branch.top:
                self.checkpoint(state=name, input=data, variables=branch.variables, prev=branch.prev, until=until)
        await self.sleep_until(until, f"wait-{branch.prev}")
        output = asl.state_io(state, branch.language).result(data, None, self.context(name, until, branch=branch),
                                                             branch.variables)
        self.exited("Wait", name, output, branch)
        return output, (None if state.get("End") else state.get("Next"))

    async def _with_retries(self, kind, name, state, data, branch, body, resume=None):
        """Run ``body(ctx)`` with the state's Retry and Catch; (output, next)."""
        attempts: dict = {}
        retry = 0
        entered = self.p.clock.now()
        if resume is not None and "attempts" in resume:
            # Resumed between two attempts: the retriers' counts and the backoff carry on.
            attempts, retry = resume["attempts"], resume["retry"]
            await self.sleep_until(resume["retry_at"], f"retry-{branch.prev}")
            resume = None
        while True:
            ctx = self.context(name, entered, retry, branch)
            try:
                result = await body(ctx, resume)
                break
            except (Failure, StatesError) as exc:
                f = exc if isinstance(exc, Failure) else Failure(exc.error, exc.cause)
                resume = None
                delay, attempts = asl.retry_delay(state.get("Retry") or [], f.error, attempts, self.rand)
                if delay is not None:
                    retry += 1
                    retry_at = self.p.clock.now() + delay
                    if branch.top:
                        self.checkpoint(state=name, input=data, variables=branch.variables, prev=branch.prev,
                                        attempts=attempts, retry=retry, retry_at=retry_at)
                    await self.sleep_until(retry_at, f"retry-{branch.prev}")
                    continue
                catcher = asl.catch(state.get("Catch") or [], f.error)
                if catcher is None:
                    f.prev = branch.prev
                    raise f from None
                output = asl.catcher_output(catcher, branch.language, data, f.error, f.cause, ctx, branch.variables)
                assigned = asl.catcher_assign(catcher, branch.language, data, f.error, f.cause, ctx,
                                              branch.variables) if "Assign" in catcher else None
                if assigned:
                    branch.variables = {**branch.variables, **assigned}
                self.exited(kind, name, output, branch, assigned)
                return output, catcher["Next"]
        return self._finish_state(kind, name, state, data, result, branch, ctx)

    async def _task(self, name, state, data, branch, resume):
        from . import tasks

        if not _continuing(resume):
            self.entered("Task", name, data, branch)

        async def body(ctx, resume):
            return await tasks.run_task(self, name, state, data, branch, ctx, resume)

        return await self._with_retries("Task", name, state, data, branch, body, resume)

    async def _parallel(self, name, state, data, branch, resume):
        if not _continuing(resume):
            self.entered("Parallel", name, data, branch)

        async def body(ctx, _resume):
            effective = asl.state_io(state, branch.language).effective_input(data, ctx, branch.variables)
            branch.prev = self.event("ParallelStateStarted", branch.prev)
            started = branch.prev
            threads = []
            for i, b in enumerate(state.get("Branches") or []):
                child = Branch(started, dict(branch.variables), b.get("QueryLanguage", branch.language), False,
                               path=f"{branch.path}/{name}[{i}]")
                threads.append(self.thread(self.states(b["States"], b["StartAt"], effective, child)))
            try:
                results = await self.gather(threads)
            except Failure as f:
                branch.prev = self.event("ParallelStateFailed", self.latest())
                raise Failure(f.error, f.cause) from None
            branch.prev = self.event("ParallelStateSucceeded", self.latest())
            return results

        return await self._with_retries("Parallel", name, state, data, branch, body, resume)

    async def _map(self, name, state, data, branch, resume):
        from . import maps

        if not _continuing(resume):
            self.entered("Map", name, data, branch)

        async def body(ctx, _resume):
            return await maps.run_map(self, name, state, data, branch, ctx)

        return await self._with_retries("Map", name, state, data, branch, body, resume)


def _continuing(resume: dict | None) -> bool:
    """Whether a resumed state had already begun (its Entered event is in the history)."""
    return resume is not None and ("token" in resume or "attempts" in resume)


def _iso(t: float) -> str:
    return _iso_ms(round(t, 3))


@functools.lru_cache(maxsize=256)
def _iso_ms(t: float) -> str:
    # The states of one execution mostly enter within the same millisecond.
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
