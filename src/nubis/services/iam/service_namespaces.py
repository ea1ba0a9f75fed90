"""Service namespaces (the ``s3`` of ``s3:GetObject``) and the names IAM reports them by.

What a policy allows is read from its actions: ``"*"`` (or a namespace
wildcard such as ``"s*:*"``) stands for every service nubis serves; a
namespace a policy names explicitly counts even when nubis does not serve
it. A namespace is the service's IAM prefix: the ``PREFIX`` of its table in
``auth/action_data/`` where it has one (Step Functions is ``states``), else
its botocore name. The name is the model's ``serviceFullName`` ("Amazon
Simple Storage Service"), as access advisor reports it; only the head of
the model file is read, for its metadata.
"""
from __future__ import annotations

import fnmatch
import functools
import gzip
import importlib
import json
import os
import re

import botocore

_DATA = os.path.join(os.path.dirname(botocore.__file__), "data")
_FULL_NAME = re.compile(r'"serviceFullName"\s*:\s*"((?:[^"\\]|\\.)*)"')


@functools.cache
def namespace_of(service: str) -> str:
    """The IAM namespace of a botocore service name."""
    try:
        return importlib.import_module(f"nubis.auth.action_data.{service}").PREFIX
    except (ImportError, AttributeError):
        return service


def served(catalogue) -> dict[str, str]:
    """namespace -> the botocore service whose name it reports, for the services nubis serves."""
    out: dict[str, str] = {}
    for service in sorted(catalogue):
        ns = namespace_of(service)
        if ns not in out or service == ns:
            out[ns] = service
    return out


@functools.cache
def name_of(service: str) -> str:
    """The ``serviceFullName`` of a botocore service (its own name when there is no model)."""
    folder = os.path.join(_DATA, service)
    try:
        versions = sorted(v for v in os.listdir(folder) if os.path.isdir(os.path.join(folder, v)))
    except OSError:
        return service
    for version in reversed(versions):
        for file, opener in (("service-2.json.gz", gzip.open), ("service-2.json", open)):
            path = os.path.join(folder, version, file)
            if os.path.exists(path):
                with opener(path, "rb") as f:
                    m = _FULL_NAME.search(f.read(4096).decode("utf-8", "replace"))
                if m:
                    return json.loads(f'"{m.group(1)}"')
    return service


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def allowed(documents: list[str], universe: set[str]) -> set[str]:
    """The namespaces the Allow statements of these policy documents grant some action of
    (``universe``: the namespaces a wildcard stands for)."""
    out: set[str] = set()
    for text in documents:
        try:
            doc = json.loads(text)
        except (TypeError, ValueError):
            continue
        statements = doc.get("Statement") if isinstance(doc, dict) else None
        for st in statements if isinstance(statements, list) else [statements]:
            if not isinstance(st, dict) or st.get("Effect") != "Allow":
                continue
            if "NotAction" in st:
                # Everything but the listed actions: a namespace is out only when all of it is listed.
                excluded = {a.split(":", 1)[0].lower() for a in _strings(st["NotAction"])
                            if a.endswith(":*") or a == "*"}
                if "*" not in excluded:
                    out |= {ns for ns in universe if ns not in excluded}
                continue
            for action in _strings(st.get("Action")):
                ns = action.split(":", 1)[0].lower() if ":" in action else action
                if ns == "*" or any(c in ns for c in "*?"):
                    out |= {n for n in universe if fnmatch.fnmatchcase(n, ns)}
                elif ns and re.fullmatch(r"[\w-]{1,64}", ns):
                    out.add(ns)
    return out
