"""botocore's service models, loaded lazily per service and cached.

botocore's data directory is the spec of every API nubis speaks. Nothing on
the request path reloads a model: each service is read once, on first use.
Where current botocore no longer ships a protocol that older SDKs still send
(SQS's query protocol), nubis keeps the older published model as package data
in ``legacy/``.
"""
from __future__ import annotations

import copy
import functools
import gzip
import json
import os
import threading

_LEGACY_DIR = os.path.join(os.path.dirname(__file__), "legacy")
# (service, protocol) -> file in legacy/ holding the published model for it.
_LEGACY = {("sqs", "query"): "sqs-2012-11-05-query.json.gz"}

_lock = threading.RLock()


@functools.cache
def _loader():
    from botocore.loaders import Loader

    return Loader()


@functools.cache
def available_services() -> tuple[str, ...]:
    return tuple(sorted(_loader().list_available_services("service-2")))


def _raw(service: str) -> dict:
    return _loader().load_service_model(service, "service-2")


def protocols_of(metadata: dict) -> list[str]:
    return list(metadata.get("protocols") or [metadata["protocol"]])


@functools.cache
def _load(service: str, protocol: str | None):
    from botocore.model import ServiceModel

    with _lock:
        legacy = _LEGACY.get((service, protocol))
        if legacy:
            with gzip.open(os.path.join(_LEGACY_DIR, legacy)) as f:
                data = json.load(f)
            return ServiceModel(data, service_name=service)
        data = _raw(service)
        default = protocols_of(data["metadata"])[0]
        if protocol is None or protocol == default:
            data = dict(data, metadata=dict(data["metadata"], protocol=default))
            return ServiceModel(data, service_name=service)
        if protocol not in protocols_of(data["metadata"]):
            raise KeyError(f"{service} does not speak {protocol}")
        # The same operations and shapes, presented under another protocol.
        data = dict(data, metadata=dict(copy.deepcopy(data["metadata"]), protocol=protocol))
        return ServiceModel(data, service_name=service)


def load_service(service: str, protocol: str | None = None):
    """The botocore ``ServiceModel`` of ``service`` in ``protocol`` (default: its first)."""
    return _load(service, protocol)


def service_protocols(service: str) -> list[str]:
    """Every protocol a request for ``service`` may arrive in."""
    protos = protocols_of(load_service(service).metadata)
    protos += [p for (s, p) in _LEGACY if s == service and p not in protos]
    return protos


# -- the routing index ----------------------------------------------------------
#
# The router must know, for every service in botocore's data, its signing
# name, target prefix, protocols and API version, without loading ~400 models
# on each start. The index is built once per botocore version (about a second)
# and kept in the user's cache directory.

_INDEX_FIELDS = ("signingName", "endpointPrefix", "targetPrefix", "apiVersion", "jsonVersion")


def _index_path() -> str:
    import botocore
    import platformdirs

    return os.path.join(platformdirs.user_cache_dir("nubis"), f"service-index-{botocore.__version__}.json")


def _build_index() -> dict:
    index = {}
    for service in available_services():
        md = _raw(service)["metadata"]
        entry = {k: md[k] for k in _INDEX_FIELDS if k in md}
        entry["protocols"] = protocols_of(md)
        entry.setdefault("signingName", md.get("endpointPrefix", service))
        index[service] = entry
    for (service, protocol) in _LEGACY:
        index[service]["protocols"].append(protocol)
    return index


@functools.cache
def service_index() -> dict[str, dict]:
    """``{service: {signingName, endpointPrefix, targetPrefix, apiVersion, protocols}}``."""
    path = _index_path()
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        pass
    with _lock:
        index = _build_index()
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            tmp = f"{path}.{os.getpid()}.tmp"
            with open(tmp, "w") as f:
                json.dump(index, f)
            os.replace(tmp, path)
        except OSError:
            pass
        return index
