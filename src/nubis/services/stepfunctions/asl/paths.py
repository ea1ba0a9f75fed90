"""JSONPath as Step Functions uses it: reference paths, full paths, and ResultPath.

A *reference path* (InputPath, ResultPath, OutputPath, a Choice ``Variable``,
the ``...Path`` fields) names one node with ``.name``, ``['name']`` and
``[index]`` only; it is walked here directly, which is exact and cheap. Any
other path (``[*]``, ``..``, filters, slices, unions) is a full JSONPath,
evaluated by jsonpath-ng (its ``ext`` parser has filters) and, like the Jayway
library AWS documents, yields the list of the nodes it matched.

A path starts at ``$`` (the data), ``$$`` (the context object) or ``$name``
(a workflow variable).
"""
from __future__ import annotations

import copy
import re
from functools import lru_cache

from .errors import RUNTIME, StatesError, to_json

_NAME = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_DOT = re.compile(r"\.([^.\[\]*@?()',\" ]+)")
_BRACKET_INDEX = re.compile(r"\[\s*(\d+)\s*\]")
_BRACKET_NAME = re.compile(r"\[\s*(?:'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\")\s*\]")


class PathNotFound(Exception):
    """The path names a node the document does not have."""


class Path:
    """A parsed path: its root ("$", "$$" or a variable's name) and either the
    steps of a reference path or a compiled jsonpath-ng expression."""

    __slots__ = ("text", "root", "steps", "compiled")

    def __init__(self, text: str, root: str, steps, compiled):
        self.text = text
        self.root = root
        self.steps = steps
        self.compiled = compiled

    @property
    def is_reference(self) -> bool:
        return self.steps is not None

    def document(self, data, context, variables):
        if self.root == "$":
            return data
        if self.root == "$$":
            return context
        if variables is None or self.root not in variables:
            raise PathNotFound(self.text)
        return variables[self.root]

    def get(self, data, context=None, variables=None):
        """The value the path selects; PathNotFound when a reference path misses.
        A full path gives the list of its matches (possibly empty)."""
        node = self.document(data, context, variables)
        if self.steps is None:
            return [m.value for m in self.compiled.find(node)]
        for step in self.steps:
            if isinstance(step, int):
                if not isinstance(node, list) or step >= len(node):
                    raise PathNotFound(self.text)
            elif not isinstance(node, dict) or step not in node:
                raise PathNotFound(self.text)
            node = node[step]
        return node


@lru_cache(maxsize=4096)
def parse(text: str) -> Path:
    """Parse a path; ValueError when it is not one."""
    if not isinstance(text, str) or not text.startswith("$"):
        raise ValueError(f"The path '{text}' does not start with '$'")
    if text.startswith("$$"):
        root, rest = "$$", text[2:]
    else:
        m = _NAME.match(text)
        if m:
            root, rest = m.group(1), text[m.end():]
        else:
            root, rest = "$", text[1:]
    steps = _reference_steps(rest)
    compiled = None
    if steps is None:
        from jsonpath_ng.ext import parse as jp_parse
        try:
            compiled = jp_parse("$" + rest)
        except Exception as exc:  # jsonpath-ng raises several types
            raise ValueError(f"The path '{text}' is invalid: {exc}") from None
    return Path(text, root, steps, compiled)


def _reference_steps(rest: str):
    steps: list = []
    pos = 0
    while pos < len(rest):
        for pattern in (_DOT, _BRACKET_INDEX, _BRACKET_NAME):
            m = pattern.match(rest, pos)
            if m:
                break
        else:
            return None
        if pattern is _BRACKET_INDEX:
            steps.append(int(m.group(1)))
        elif pattern is _BRACKET_NAME:
            raw = m.group(1) if m.group(1) is not None else m.group(2)
            steps.append(re.sub(r"\\(.)", r"\1", raw))
        else:
            steps.append(m.group(1))
        pos = m.end()
    return steps


def is_reference_path(text) -> bool:
    try:
        return parse(text).is_reference
    except ValueError:
        return False


def is_path(text) -> bool:
    try:
        parse(text)
        return True
    except ValueError:
        return False


def bracket_form(path: Path) -> str:
    """``$['a']['b'][0]`` — the way AWS's messages spell a path that missed."""
    out = "$"
    for step in path.steps or ():
        out += f"[{step}]" if isinstance(step, int) else f"['{step}']"
    return out


def select(text: str, data, context=None, variables=None, *, field: str | None = None):
    """Evaluate a path for InputPath/OutputPath/ItemsPath/...; a miss is States.Runtime."""
    try:
        path = parse(text)
    except ValueError as exc:
        raise StatesError(RUNTIME, str(exc)) from None
    try:
        return path.get(data, context, variables)
    except PathNotFound:
        if field is not None:
            raise StatesError(
                RUNTIME,
                f"The JSONPath '{text}' specified for the field '{field}' could not be found "
                f"in the input '{to_json(data)}'") from None
        raise StatesError(
            RUNTIME,
            f"Invalid path '{text}' : No results for path: {bracket_form(path)}") from None


def apply_result_path(raw_input, result_path, result):
    """Put ``result`` into the state's input at ResultPath.

    ``$`` (the default) makes the result the output; ``null`` discards the result
    and keeps the input; any other reference path writes into a copy of the input,
    creating the objects on the way, and cannot step into a non-object.
    """
    if result_path is None:
        return raw_input
    if result_path == "$":
        return result
    try:
        path = parse(result_path)
    except ValueError as exc:
        raise StatesError(RUNTIME, str(exc)) from None
    if path.root != "$" or not path.is_reference:
        raise StatesError(RUNTIME, f"The ResultPath '{result_path}' is not a reference path")

    def unable(why: str = "") -> StatesError:
        return StatesError(RUNTIME, f"Unable to apply ResultPath '{result_path}' to input '{to_json(raw_input)}'"
                                    + (f": {why}" if why else ""))

    if not isinstance(raw_input, dict):
        raise unable("the input is not a JSON object")
    output = copy.deepcopy(raw_input)
    node = output
    for i, step in enumerate(path.steps):
        last = i == len(path.steps) - 1
        if isinstance(step, int):
            if not isinstance(node, list) or step >= len(node):
                raise unable()
            if last:
                node[step] = result
            else:
                if not isinstance(node[step], (dict, list)):
                    raise unable()
                node = node[step]
            continue
        if not isinstance(node, dict):
            raise unable()
        if last:
            node[step] = result
        else:
            if step not in node:
                node[step] = {}
            elif not isinstance(node[step], (dict, list)):
                raise unable(f"the field '{step}' is not a JSON object")
            node = node[step]
    return output
