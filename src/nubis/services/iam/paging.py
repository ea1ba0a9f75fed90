"""IAM's paging: ``Marker`` and ``MaxItems`` in, ``IsTruncated`` and ``Marker`` out."""
from __future__ import annotations

import base64

from ...protocol.errors import ServiceError


def page(items: list, params: dict, key: str) -> dict:
    """IAM's Marker/MaxItems paging (the marker is opaque to callers)."""
    start = 0
    if params.get("Marker"):
        try:
            start = int(base64.b64decode(params["Marker"]).decode())
        except ValueError:
            raise ServiceError("InvalidInput", "Invalid Marker.", 400) from None
    limit = params.get("MaxItems") or 100
    if limit < 1 or limit > 1000:
        raise ServiceError("ValidationError", f"1 validation error detected: Value '{limit}' at 'maxItems' failed "
                           "to satisfy constraint: Member must have value between 1 and 1000", 400)
    out = {key: items[start:start + limit], "IsTruncated": start + limit < len(items)}
    if out["IsTruncated"]:
        out["Marker"] = base64.b64encode(str(start + limit).encode()).decode()
    return out
