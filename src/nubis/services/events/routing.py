"""Which rules and archives of a bus an event matches, fast.

Each bus gets an in-memory index built from the store on first use and
dropped whenever one of its rules, targets or archives changes: its enabled
pattern rules grouped by the ``source`` values their pattern requires, then
by the exact ``detail-type`` values it requires (an event is checked only
against the rules of its own source and detail-type, plus those that accept
any), and its archives with their patterns. Compiled patterns
are kept across rebuilds, keyed by their text.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from . import store as S
from .pattern import compile_pattern


@dataclass(slots=True)
class Route:
    arn: str
    name: str
    pattern: object  # a compiled pattern (``.matches(event)``)
    targets: list


@dataclass(slots=True)
class Group:
    """The rules of one source: by the detail-types they require, and those that take any."""
    by_type: dict
    any_type: list

    def candidates(self, detail_type) -> list:
        typed = self.by_type.get(detail_type) if detail_type.__class__ is str else None
        return typed + self.any_type if typed else self.any_type


@dataclass(slots=True)
class BusIndex:
    by_source: dict  # source -> Group
    any_source: Group
    archives: list  # (archive arn, compiled pattern or None)

    def rules_for(self, event: dict) -> list[Route]:
        source, detail_type = event.get("source"), event.get("detail-type")
        group = self.by_source.get(source) if source.__class__ is str else None
        out = [r for r in group.candidates(detail_type) if r.pattern.matches(event)] if group else []
        out.extend(r for r in self.any_source.candidates(detail_type) if r.pattern.matches(event))
        return out

    def archives_for(self, event: dict) -> list[str]:
        return [arn for arn, pattern in self.archives if pattern is None or pattern.matches(event)]


_PATTERNS: dict[str, object] = {}


def compiled(text: str):
    """The compiled form of a pattern's text (raises InvalidEventPatternException)."""
    p = _PATTERNS.get(text)
    if p is None:
        p = compile_pattern(text)
        if len(_PATTERNS) > 50_000:
            _PATTERNS.clear()
        _PATTERNS[text] = p
    return p


def _required_types(text: str) -> set | None:
    """The detail-types a pattern requires, when it names them as exact values at its top level
    (and has no ``$or`` that could do without them); else None."""
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    values = doc.get("detail-type") if isinstance(doc, dict) else None
    if not isinstance(values, list) or not values or "$or" in doc:
        return None
    if not all(isinstance(v, str) for v in values):
        return None
    return set(values)


class Router:
    def __init__(self, store: S.Store):
        self.store = store
        self._buses: dict[str, BusIndex] = {}

    def forget(self, bus_arn: str | None = None) -> None:
        if bus_arn is None:
            self._buses.clear()
        else:
            self._buses.pop(bus_arn, None)

    def index(self, bus: dict) -> BusIndex:
        idx = self._buses.get(bus["Arn"])
        if idx is None:
            idx = self._buses[bus["Arn"]] = self._build(bus)
        return idx

    def _build(self, bus: dict) -> BusIndex:
        account, region = bus["_account"], bus["_region"]
        by_source: dict[str, Group] = {}
        any_source = Group({}, [])
        for rule in self.store.list(S.RULE, account, region, prefix=bus["Name"] + "/"):
            if rule["EventBusName"] != bus["Name"] or rule["State"] == "DISABLED" or not rule.get("EventPattern"):
                continue
            targets = self.store.targets(rule["Arn"])
            if not targets:
                continue
            route = Route(rule["Arn"], rule["Name"], compiled(rule["EventPattern"]), targets)
            sources = route.pattern.required_sources()
            types = _required_types(rule["EventPattern"])
            for group in [by_source.setdefault(s, Group({}, [])) for s in sources] if sources else [any_source]:
                if types:
                    for t in types:
                        group.by_type.setdefault(t, []).append(route)
                else:
                    group.any_type.append(route)
        archives = []
        for archive in self.store.list(S.ARCHIVE, account, region):
            if archive["EventSourceArn"] == bus["Arn"] and archive.get("State") != "DISABLED":
                pattern = archive.get("EventPattern")
                archives.append((archive["ArchiveArn"], compiled(pattern) if pattern else None))
        return BusIndex(by_source, any_source, archives)

