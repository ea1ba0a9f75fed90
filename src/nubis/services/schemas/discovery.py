"""Schema discovery: events seen on an event bus with a STARTED discoverer become
schemas in the ``discovered-schemas`` registry of the discoverer's account.

EventBridge hands every event that arrives on a bus to ``Discovery.seen`` when
the bus is in ``Discovery.buses`` (a dict lookup: a bus without a discoverer
pays nothing more). Events are inferred and written after the request, in one
batch per turn of the event loop; a schema gets a new version only when what
was inferred from all its events so far changes (a new field, another type).
"""
from __future__ import annotations

import asyncio
import json
import logging
import re

from ..base import RequestContext

log = logging.getLogger("nubis.schemas")

REGISTRY_NAME = "discovered-schemas"
_WORD = re.compile(r"[A-Za-z0-9]+")
_NOT_NAME = re.compile(r"[^.\-_A-Za-z@0-9]")


def schema_name(source: str, detail_type: str) -> str:
    """``<source>@<DetailType>``: the detail type's words capitalised and joined, as AWS names
    them (``EC2 Instance State-change Notification`` -> ``EC2InstanceStateChangeNotification``)."""
    words = "".join(w[0].upper() + w[1:] for w in _WORD.findall(detail_type))
    return f"{_NOT_NAME.sub('-', source)}@{words or 'Event'}"[:385]


class _Nothing:
    """No schemas service: no bus is discovered."""
    buses: dict = {}

    def seen(self, bus_arn: str, event: dict) -> None:  # pragma: no cover - never called, buses is empty
        pass


def discovery_for(runtime) -> "Discovery | _Nothing":
    """The runtime's discovery (starting the schemas provider), for EventBridge to hand events to."""
    provider = runtime.provider("schemas")
    return getattr(provider, "discovery", None) or _Nothing()


class Discovery:
    def __init__(self, provider):
        self.provider = provider
        # bus ARN -> [(account, region, cross_account)] of its STARTED discoverers
        self.buses: dict[str, list[tuple[str, str, bool]]] = {}
        self._pending: list[tuple[str, dict]] = []
        self.refresh()

    def refresh(self) -> None:
        """Re-read the STARTED discoverers (after one was created, changed, started, stopped or deleted)."""
        buses: dict = {}
        for account, region, doc in self.provider.db.query(
                "SELECT account, region, doc FROM schemas_resources WHERE kind = 'discoverer'"):
            doc = json.loads(doc)
            if doc.get("State") == "STARTED":
                buses.setdefault(doc["SourceArn"], []).append((account, region, doc.get("CrossAccount", True)))
        self.buses = buses

    def seen(self, bus_arn: str, event: dict) -> None:
        """An event arrived on a discovered bus: it is inferred after the request."""
        if not self._pending:
            try:
                asyncio.get_running_loop().call_soon(self.flush)
            except RuntimeError:  # no loop (a synchronous caller): do it now, after this event is queued
                self._pending.append((bus_arn, event))
                self.flush()
                return
        self._pending.append((bus_arn, event))

    def flush(self) -> None:
        pending, self._pending = self._pending, []
        from .provider import _infer  # the provider imports this module

        groups: dict[tuple[str, str, str], list] = {}  # (account, region, name) -> [source, detail type, inferred]
        for bus_arn, event in pending:
            bus_account = bus_arn.split(":")[4]
            for account, region, cross in self.buses.get(bus_arn, ()):
                if not cross and event.get("account") != bus_account:
                    continue  # CrossAccount off: events sent from other accounts are not discovered
                key = (account, region, schema_name(event.get("source", ""), event.get("detail-type", "")))
                inferred = _infer(event)
                if key in groups:
                    groups[key][2] = _merge_inferred(groups[key][2], inferred)
                else:
                    groups[key] = [event.get("source", ""), event.get("detail-type", ""), inferred]
        if not groups:
            return
        try:
            with self.provider.db.transaction():
                for (account, region, name), (source, detail_type, inferred) in groups.items():
                    self._discovered(account, region, name, source, detail_type, inferred)
        except Exception:  # discovery is a side effect of routing: it must never fail a request
            log.exception("schema discovery")

    def _discovered(self, account: str, region: str, name: str, source: str, detail_type: str,
                    inferred: dict) -> None:
        p = self.provider
        ctx = RequestContext(service="schemas", operation="Discover", account=account, region=region,
                             request_id="", principal="schemas.amazonaws.com", internal=True)
        if p._get("registry", ctx, REGISTRY_NAME) is None:
            doc = {"RegistryName": REGISTRY_NAME, "RegistryArn": p._arn(ctx, f"registry/{REGISTRY_NAME}"),
                   "Description": "Discovered schema registry", "Tags": {}}
            p._put("registry", ctx, REGISTRY_NAME, doc["RegistryArn"], doc)
        key = f"{REGISTRY_NAME}/{name}"
        schema = p._get("schema", ctx, key)
        if schema is None:
            schema = {"SchemaName": name, "SchemaArn": p._arn(ctx, f"schema/{REGISTRY_NAME}/{name}"), "Tags": {},
                      "_registry": REGISTRY_NAME}
        else:
            inferred = _merge_inferred(schema["_inferred"], inferred)
            if inferred == schema["_inferred"]:
                return  # nothing new: no new version
        schema["_inferred"] = inferred
        p._new_version(ctx, schema, json.dumps(openapi_of(name, source, detail_type, inferred)), "OpenApi3")
        p._put("schema", ctx, key, schema["SchemaArn"], schema)


def _merge_inferred(a: dict, b: dict) -> dict:
    from .provider import _merge

    return _merge(a, b)


def openapi_of(name: str, source: str, detail_type: str, inferred: dict) -> dict:
    """The OpenAPI 3 document of a discovered schema: the envelope is ``AWSEvent``, its ``detail``
    a ``$ref`` to a component named after the detail type."""
    detail_name = name.split("@", 1)[1]
    envelope = dict(inferred)
    properties = dict(envelope.get("properties") or {})
    components = {}
    detail = properties.get("detail")
    if detail and detail_name != "AWSEvent":  # a detail type named "AWS Event" keeps its detail inline
        properties["detail"] = {"$ref": f"#/components/schemas/{detail_name}"}
        components[detail_name] = detail
    envelope["properties"] = properties
    envelope["x-amazon-events-source"] = source
    envelope["x-amazon-events-detail-type"] = detail_type
    return {"openapi": "3.0.0", "info": {"version": "1.0.0", "title": detail_name}, "paths": {},
            "components": {"schemas": {"AWSEvent": envelope, **components}}}
