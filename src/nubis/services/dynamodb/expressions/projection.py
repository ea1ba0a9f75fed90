"""ProjectionExpression (and AttributesToGet): which parts of an item to return."""
from __future__ import annotations

from . import nodes


class Projection:
    def __init__(self, paths: list[nodes.Path]):
        self.paths = paths
        # a tree of the selected elements; None marks "the whole value from here"
        tree: dict = {}
        for path in paths:
            branch = tree
            elements = path.elements
            for element in elements[:-1]:
                branch = branch.setdefault(element, {})
                if branch is None:
                    break
            else:
                branch[elements[-1]] = None
        self.tree = tree

    def apply(self, item: dict | None) -> dict:
        """The item with only the projected paths; list elements keep their order, compacted."""
        if not item:
            return {}
        out = {}
        for name, sub in self.tree.items():
            value = item.get(name) if name.__class__ is str else None
            if value is None:
                continue
            kept = _project(value, sub)
            if kept is not None:
                out[name] = kept
        return out

    def top_level(self) -> list[str]:
        """The top-level attribute names the projection reads."""
        return list(dict.fromkeys(p.elements[0] for p in self.paths))


def _project(value: dict, tree):
    if tree is None:
        return value
    if "M" in value:
        entries = value["M"]
        kept = {}
        for key, sub in tree.items():
            if key.__class__ is str and key in entries:
                found = _project(entries[key], sub)
                if found is not None:
                    kept[key] = found
        return {"M": kept} if kept else None
    if "L" in value:
        values = value["L"]
        kept = []
        for index in sorted(k for k in tree if k.__class__ is int):
            if index < len(values):
                found = _project(values[index], tree[index])
                if found is not None:
                    kept.append(found)
        return {"L": kept} if kept else None
    return None


