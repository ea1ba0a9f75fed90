"""Tags kept as the APIs that take them as a list of {"Key": ..., "Value": ...} answer them."""
from __future__ import annotations


def merge_tags(old: list[dict], new: list[dict]) -> list[dict]:
    """``old`` with ``new`` added, as TagResource does: a key in both takes its new value
    and keeps its place; keys only in ``new`` follow in their order."""
    merged = {t["Key"]: t["Value"] for t in old}
    merged.update({t["Key"]: t["Value"] for t in new})
    return [{"Key": k, "Value": v} for k, v in merged.items()]
