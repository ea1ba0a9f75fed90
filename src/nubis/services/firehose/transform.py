"""Data transformation and partition keys: a destination's ``Processors``.

- ``Lambda``: the function gets ``{invocationId, deliveryStreamArn, region,
  records: [{recordId, approximateArrivalTimestamp, data}]}`` and answers
  ``{records: [{recordId, result, data, metadata}]}``; ``Ok`` records go on
  (with ``metadata.partitionKeys`` for dynamic partitioning), ``Dropped``
  ones are gone, ``ProcessingFailed`` ones (and every record of an invocation
  that failed ``NumberOfRetries`` + 1 times) go to the error prefix.
- ``MetadataExtraction``: partition keys from a JQ object query; the simple
  forms ``{name: .field, other: .a.b}`` are supported.
- ``AppendDelimiterToRecord``: a delimiter (default a newline) after each record.
"""
from __future__ import annotations

import base64
import json
import re
import uuid
from dataclasses import dataclass, field

from ...protocol.errors import ServiceError

PRINCIPAL = "firehose.amazonaws.com"
_QUERY_ITEM = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*|\"[^\"]+\")\s*:\s*(\.[A-Za-z0-9_.\"\[\]-]*)\s*")


@dataclass
class Item:
    rid: int                 # the buffer row
    arrived: float
    raw: bytes               # as put
    data: bytes              # after transformation
    keys: dict = field(default_factory=dict)    # {(namespace, name): value}


@dataclass
class Failure:
    item: Item
    code: str
    message: str
    kind: str                # error-output-type
    extra: dict = field(default_factory=dict)


def processors(cfg: dict) -> list[tuple[str, dict]]:
    pc = cfg.get("ProcessingConfiguration") or {}
    if not pc.get("Enabled", False):
        return []
    return [(p.get("Type"), {x["ParameterName"]: x["ParameterValue"] for x in p.get("Parameters") or []})
            for p in pc.get("Processors") or []]


def parse_query(query: str) -> list[tuple[str, list[str]]]:
    """``{a: .x, b: .y.z}`` -> [("a", ["x"]), ("b", ["y", "z"])]."""
    body = query.strip()
    if not (body.startswith("{") and body.endswith("}")):
        raise ValueError(query)
    out = []
    for part in filter(str.strip, body[1:-1].split(",")):
        m = _QUERY_ITEM.fullmatch(part)
        if not m:
            raise ValueError(part)
        name = m.group(1).strip('"')
        path = [p.strip('"') for p in m.group(2)[1:].split(".") if p]
        out.append((name, path))
    return out


def extract(query: list[tuple[str, list[str]]], data: bytes) -> dict:
    doc = json.loads(data)
    keys = {}
    for name, path in query:
        value = doc
        for step in path:
            if not isinstance(value, dict) or step not in value:
                raise KeyError(".".join(path))
            value = value[step]
        if isinstance(value, (dict, list)) or value is None:
            raise KeyError(".".join(path))
        keys[("partitionKeyFromQuery", name)] = str(value).lower() if isinstance(value, bool) else str(value)
    return keys


async def apply(p, s, items: list[Item], cfg: dict) -> tuple[list[Item], list[Failure]]:
    """The destination's processors over ``items``: (what goes on, what failed)."""
    failed: list[Failure] = []
    dynamic = bool((cfg.get("DynamicPartitioningConfiguration") or {}).get("Enabled"))
    for kind, params in processors(cfg):
        if kind == "Lambda":
            # One invocation per BufferSizeInMBs of records (1 MiB unless set), as the payload has a limit.
            limit = float(params.get("BufferSizeInMBs", 1)) * 1024 * 1024
            kept, batch, size = [], [], 0
            for it in items + [None]:
                if it is None or (batch and size + len(it.data) > limit):
                    ok, lost = await _lambda(p, s, batch, params) if batch else ([], [])
                    kept += ok
                    failed += lost
                    batch, size = [], 0
                if it is not None:
                    batch.append(it)
                    size += len(it.data)
            items = kept
        elif kind == "MetadataExtraction" and dynamic:
            try:
                query = parse_query(params.get("MetadataExtractionQuery", ""))
            except ValueError:
                query = None
            kept = []
            for it in items:
                try:
                    if query is None:
                        raise ValueError("the query is not supported")
                    it.keys.update(extract(query, it.data))
                    kept.append(it)
                except (ValueError, KeyError, UnicodeDecodeError) as e:
                    failed.append(Failure(it, "DynamicPartitioning.MetadataExtractionFailed",
                                          f"Non JSON record or missing partition key: {e}", "processing-failed"))
            items = kept
        elif kind == "AppendDelimiterToRecord":
            delimiter = params.get("Delimiter", "\\n").encode().decode("unicode_escape").encode()
            for it in items:
                it.data += delimiter
    return items, failed


async def _lambda(p, s, items: list[Item], params: dict) -> tuple[list[Item], list[Failure]]:
    arn = params.get("LambdaArn", "")
    retries = int(params.get("NumberOfRetries", 3))
    by_id = {str(i): it for i, it in enumerate(items)}
    event = {"invocationId": str(uuid.uuid4()), "deliveryStreamArn": s.arn, "region": s.region,
             "records": [{"recordId": rid, "approximateArrivalTimestamp": int(it.arrived * 1000),
                          "data": base64.b64encode(it.data).decode()} for rid, it in by_id.items()]}
    payload = json.dumps(event).encode()
    error = ("Lambda.InvokeAccessDenied", "")
    answer = None
    for _ in range(retries + 1):
        try:
            out = await p.internal.call("lambda", "Invoke", {"FunctionName": arn, "Payload": payload},
                                        account=s.account, region=s.region, principal=PRINCIPAL)
        except ServiceError as e:
            error = ("Lambda.FunctionError" if e.status >= 500 else "Lambda.InvokeAccessDenied", e.message)
            continue
        if out.get("FunctionError"):
            error = ("Lambda.FunctionError", "The Lambda function was successfully invoked but it returned an "
                     "error result.")
            continue
        try:
            answer = json.loads(out.get("Payload") or b"")["records"]
            break
        except (ValueError, KeyError, TypeError):
            error = ("Lambda.JsonProcessingException", "The response from the Lambda function is not valid JSON "
                     "or has no records.")
    if answer is None:
        return [], [Failure(it, error[0], error[1], "processing-failed", {"lambdaArn": arn}) for it in items]
    kept, failed, seen = [], [], set()
    for rec in answer:
        it = by_id.get(str(rec.get("recordId")))
        if it is None or rec.get("recordId") in seen:
            continue
        seen.add(rec.get("recordId"))
        result = rec.get("result")
        if result == "Dropped":
            continue
        if result == "Ok":
            try:
                it.data = base64.b64decode(rec.get("data") or "", validate=True)
            except ValueError:
                failed.append(Failure(it, "Lambda.InvalidBase64", "The data is not valid base64.",
                                      "processing-failed", {"lambdaArn": arn}))
                continue
            for name, value in ((rec.get("metadata") or {}).get("partitionKeys") or {}).items():
                it.keys[("partitionKeyFromLambda", name)] = str(value)
            kept.append(it)
        else:
            failed.append(Failure(it, "Lambda.ProcessingFailed" if result == "ProcessingFailed" else
                                  "Lambda.InvalidResult",
                                  "The record was marked ProcessingFailed by the Lambda function."
                                  if result == "ProcessingFailed" else f"Unknown result {result!r}.",
                                  "processing-failed", {"lambdaArn": arn}))
    for rid, it in by_id.items():
        if rid not in seen:
            failed.append(Failure(it, "Lambda.MissingRecordId", "The Lambda function did not return the record.",
                                  "processing-failed", {"lambdaArn": arn}))
    return kept, failed
