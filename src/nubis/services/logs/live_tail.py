"""Live Tail (StartLiveTail): the events PutLogEvents writes, pushed to a client as they arrive.

A session is an event stream: one ``sessionStart``, then a ``sessionUpdate``
every second on the controllable clock with the matching events ingested in
that second (none is an empty update). More than 500 in one second are
sampled down to 500, spread evenly, and the update says ``sampled``; a
session keeps at most 5000 waiting events, dropping the oldest. After three
hours on the clock the stream ends with a ``SessionTimeoutException``; it
ends earlier when the client closes the connection. Sessions live in
memory only: a restart ends them, as a broken connection does on AWS.

Groups nobody tails cost PutLogEvents one dict lookup. A mixin of ``LogsProvider``.
"""
from __future__ import annotations

import asyncio
import collections
from dataclasses import dataclass, field

from ...protocol.wire import uuid4_text
from . import filter_pattern
from . import validation as v

SESSION_SECONDS = 3 * 3600.0
UPDATE_SECONDS = 1.0
MAX_UPDATE_EVENTS = 500
MAX_WAITING_EVENTS = 5000
MAX_SESSIONS = 15  # concurrent sessions per account and Region (the service quota's default)


@dataclass(eq=False)
class Session:
    account: str
    region: str
    idents: dict[int, str]              # group id -> the identifier the request named it by
    names: frozenset | None
    prefixes: tuple | None
    pattern: filter_pattern.Pattern
    waiting: collections.deque = field(default_factory=lambda: collections.deque(maxlen=MAX_WAITING_EVENTS))
    matched: int = 0                   # events matched since the last update (the dropped ones too)

    def wants(self, stream: str) -> bool:
        if self.names is not None:
            return stream in self.names
        if self.prefixes is not None:
            return stream.startswith(self.prefixes)
        return True


class LiveTail:
    _tails_by_group: dict[int, list[Session]]  # the sessions tailing each group (set by start)
    _tail_sessions: set[Session]                # every open session (set by start)

    def start_live_tail(self, ctx, params: dict) -> dict:
        idents = v.required(params, "logGroupIdentifiers")
        if not 1 <= len(idents) <= 10:
            raise v.constraint(idents, "logGroupIdentifiers", "Member must have length less than or equal to 10"
                               if idents else "Member must have length greater than or equal to 1")
        names, prefixes = params.get("logStreamNames"), params.get("logStreamNamePrefixes")
        if names is not None and prefixes is not None:
            raise v.invalid("logStreamNames and logStreamNamePrefixes are mutually exclusive parameters.")
        for member, values in (("logStreamNames", names), ("logStreamNamePrefixes", prefixes)):
            if values is None:
                continue
            if not 1 <= len(values) <= 100:
                raise v.constraint(values, member, "Member must have length less than or equal to 100"
                                   if values else "Member must have length greater than or equal to 1")
            if len(idents) != 1:
                raise v.invalid(f"{member} can be specified only when logGroupIdentifiers has one log group.")
            for value in values:
                v.check_name(value, member, v.STREAM_NAME)
        text = params.get("logEventFilterPattern")
        pattern = self._pattern(text)
        groups: dict[int, str] = {}
        for ident in idents:
            if ident.endswith("*"):
                raise v.invalid(f"A log group ARN in logGroupIdentifiers cannot end with '*': {ident}")
            groups[self._group_from_arn_or_name(ctx, ident).id] = ident
        if sum(1 for s in self._tail_sessions if (s.account, s.region) == (ctx.account, ctx.region)) \
                >= MAX_SESSIONS:
            raise v.limit_exceeded(f"You have reached the maximum number of concurrent Live Tail sessions "
                                   f"({MAX_SESSIONS}).")
        session = Session(ctx.account, ctx.region, groups, frozenset(names) if names is not None else None,
                          tuple(prefixes) if prefixes is not None else None, pattern)
        start = {"requestId": ctx.request_id, "sessionId": uuid4_text(), "logGroupIdentifiers": list(idents)}
        if names is not None:
            start["logStreamNames"] = list(names)
        if prefixes is not None:
            start["logStreamNamePrefixes"] = list(prefixes)
        if text is not None:
            start["logEventFilterPattern"] = text
        # Registered now, so that nothing put after this answer is missed.
        self._tail_sessions.add(session)
        for gid in groups:
            self._tails_by_group.setdefault(gid, []).append(session)
        receive = getattr(ctx.request, "receive", None) if ctx.request is not None else None
        return {"responseStream": self._live_tail(session, start, receive)}

    def _live_tail_put(self, g, s, rows: list[tuple[int, str]], now: int) -> None:
        """PutLogEvents' accepted events, offered to the sessions tailing ``g``."""
        for session in self._tails_by_group[g.id]:
            if not session.wants(s.name):
                continue
            ident = session.idents[g.id]
            for ts, message in rows:
                if session.pattern.matches(message):
                    session.matched += 1
                    session.waiting.append({"logStreamName": s.name, "logGroupIdentifier": ident,
                                            "message": message, "timestamp": ts, "ingestionTime": now})

    def _live_tail_forget_group(self, group_id: int) -> None:
        """A deleted group is tailed no more (its sessions go on for their other groups)."""
        self._tails_by_group.pop(group_id, None)

    async def _live_tail(self, session: Session, start: dict, receive):
        left = asyncio.ensure_future(_client_leaves(receive)) if receive is not None else None
        try:
            yield {"sessionStart": start}
            deadline = self.clock.now() + SESSION_SECONDS
            due = self.clock.now() + UPDATE_SECONDS
            while True:
                sleeper = asyncio.ensure_future(self.scheduler.sleep_until(min(due, deadline)))
                waits = (sleeper, left) if left is not None else (sleeper,)
                try:
                    await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    sleeper.cancel()
                if left is not None and left.done():
                    return
                now = self.clock.now()
                if now >= due or now >= deadline:
                    yield {"sessionUpdate": _update(session)}
                    due = now + UPDATE_SECONDS
                if now >= deadline:
                    yield {"SessionTimeoutException": {
                        "message": "The Live Tail session has ended: a session lasts at most three hours."}}
                    return
        finally:
            if left is not None:
                left.cancel()
            self._tail_sessions.discard(session)
            tails = self._tails_by_group
            for gid in session.idents:
                sessions = tails.get(gid)
                if sessions is not None and session in sessions:
                    sessions.remove(session)
                    if not sessions:
                        del tails[gid]


def _update(session: Session) -> dict:
    """The events waiting, at most 500 of them (evenly spread when more matched), and no longer waiting."""
    events = list(session.waiting)
    sampled = session.matched > MAX_UPDATE_EVENTS or session.matched > len(events)
    if len(events) > MAX_UPDATE_EVENTS:
        step = len(events) / MAX_UPDATE_EVENTS
        events = [events[int(i * step)] for i in range(MAX_UPDATE_EVENTS)]
    session.waiting.clear()
    session.matched = 0
    return {"sessionMetadata": {"sampled": sampled}, "sessionResults": events}


async def _client_leaves(receive) -> None:
    """Returns once the client has closed the connection (the request's body was read before)."""
    while (await receive())["type"] != "http.disconnect":
        pass
