"""A pytest plugin that turns the whole test suite into a robustness probe.

    NUBIS_MUTATE_OUT=/tmp/mutations.jsonl PYTHONPATH=tests pytest -p robustness.mutate -q tests/<dir>

After every call a test makes through botocore that succeeds, the same
operation is sent again with one input member changed at a time: left out,
emptied, made huge, negative, of another script, or doubled, on a client
that does not validate parameters. The other members stay as the test made
them, and so does the server's state, so the changed request reaches the
code paths the test reached. Every answer that is an internal error (5xx but
NotImplemented), unreadable, or silent is written to the output file as a
JSON line, with the server's traceback when the server runs in-process.

The tests themselves may fail in this mode (a changed request that succeeds
changes state the test then reads): only the output file is the result. Each
(service, operation, member, change) is tried once per run.
"""
from __future__ import annotations

import json
import logging
import os
import threading

import botocore.client
import botocore.exceptions

OUT = os.environ.get("NUBIS_MUTATE_OUT", "mutations.jsonl")
_tried: set = set()
_local = threading.local()
_original = None
_marked: set = set()
_sent: list = []


def _mark_sent(**kwargs):
    _sent.append(True)
_last_trace: list = []


class _Traces(logging.Handler):
    def emit(self, record):
        if record.exc_info and "internal error" in record.getMessage():
            _last_trace.append(self.format(record))


def _changes(value):
    """(label, changed value) for one member's value; ``None`` as the value means: left out."""
    yield "absent", None
    if isinstance(value, bool):
        yield "flipped", not value
    elif isinstance(value, int):
        yield from (("zero", 0), ("negative", -1), ("huge", 2 ** 62))
    elif isinstance(value, float):
        yield from (("negative", -1.5), ("huge", 1e300))
    elif isinstance(value, str):
        yield from (("empty", ""), ("long", "x" * 5000), ("unicode", "é☃\U0001f600"), ("path", "../%2e%2e/a b"),
                    ("number-like", "-1e400"))
    elif isinstance(value, (bytes, bytearray)):
        yield from (("empty", b""), ("garbage", b"\x00\xff" * 64))
    elif isinstance(value, list):
        yield "empty", []
        if value:
            yield "repeated", value * 40
            yield "first-emptied", [_emptied(value[0])] + value[1:]
    elif isinstance(value, dict):
        yield "empty", {}
        for k in list(value)[:8]:
            for label, v in _changes(value[k]):
                changed = dict(value)
                if v is None:
                    changed.pop(k)
                else:
                    changed[k] = v
                yield f"{k}.{label}", changed


def _emptied(value):
    if isinstance(value, str):
        return ""
    if isinstance(value, dict):
        return {}
    if isinstance(value, list):
        return []
    return value


# Long polls: a changed request may wait its full time (a minute) for nothing.
_SKIP = {("stepfunctions", "GetActivityTask"), ("sqs", "ReceiveMessage")}


def _probe(client, name: str, params: dict) -> None:
    service = client.meta.service_model.service_name
    if (service, name) in _SKIP:
        return
    if id(client) not in _marked:
        _marked.add(id(client))
        client.meta.events.register("before-send", _mark_sent)
    # The test's own client (its endpoint, hooks and credentials), without its parameter validation.
    validating = client._serializer
    client._serializer = getattr(validating, "_serializer", validating)
    try:
        _probe_members(client, service, name, params)
    finally:
        client._serializer = validating


def _probe_members(client, service: str, name: str, params: dict) -> None:
    for member in list(params)[:12]:
        for label, value in _changes(params[member]):
            key = (service, name, member, label)
            if key in _tried:
                continue
            _tried.add(key)
            changed = dict(params)
            if value is None:
                changed.pop(member)
            else:
                changed[member] = value
            _last_trace.clear()
            _sent.clear()
            finding = None
            try:
                _original(client, name, changed)
            except botocore.exceptions.ClientError as e:
                status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
                code = e.response.get("Error", {}).get("Code", "")
                if status >= 500 and code != "NotImplemented":
                    finding = f"{status} {code}: {e.response.get('Error', {}).get('Message', '')}"
            except botocore.exceptions.ReadTimeoutError:
                finding = "timeout"
            except (botocore.exceptions.ParamValidationError, botocore.exceptions.EndpointConnectionError,
                    botocore.exceptions.NoRegionError):
                pass
            except Exception as e:
                if _sent:  # an answer botocore could not read (else botocore refused to send it)
                    finding = f"{type(e).__name__}: {e}"
            if finding:
                with open(OUT, "a") as f:
                    f.write(json.dumps({"service": service, "operation": name, "member": member,
                                        "change": label, "finding": finding[:500],
                                        "trace": _last_trace[-1][-3000:] if _last_trace else None},
                                       default=str) + "\n")


def pytest_configure(config):
    handler = _Traces()
    handler.setFormatter(logging.Formatter("%(message)s"))
    logging.getLogger().addHandler(handler)
    global _original
    _original = original = botocore.client.BaseClient._make_api_call

    def probing(self, operation_name, api_params):
        result = original(self, operation_name, api_params)
        if getattr(_local, "busy", False):
            return result
        _local.busy = True
        try:
            _probe(self, operation_name, api_params)
        except Exception:
            pass
        finally:
            _local.busy = False
        return result

    botocore.client.BaseClient._make_api_call = probing


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(f"robustness.mutate: {len(_tried)} changed requests tried; findings in {OUT}")
