"""JSONata in Step Functions: ``{% expression %}`` strings, the ``$states`` variable,
workflow variables, and the functions Step Functions adds ($partition, $range,
$hash, $random, $uuid, $parse). The language itself is jsonata-python's.
"""
from __future__ import annotations

import hashlib
import json
import random
import uuid
from functools import lru_cache

from .errors import QUERY_EVALUATION_ERROR, StatesError, to_json


# Where $now() and $millis() read the time: the Step Functions provider points this
# at nubis's controllable clock (``use_clock``); until then, the wall clock.
_clock = None


def use_clock(now) -> None:
    """Make $now() and $millis() read ``now()`` (epoch seconds) instead of the wall clock."""
    global _clock
    _clock = now


def _time_functions() -> dict:
    import jsonata as _jsonata
    from jsonata.functions import Functions

    millis = int(_clock() * 1000)
    return {
        "now": _jsonata.Jsonata.JLambda(
            lambda picture=None, timezone=None: Functions.datetime_from_millis(millis, picture, timezone)),
        "millis": _jsonata.Jsonata.JLambda(lambda: millis),
    }


def is_expression(value) -> bool:
    return isinstance(value, str) and value.startswith("{%") and value.endswith("%}") and len(value) >= 4


def body(value: str) -> str:
    return value[2:-2].strip()


@lru_cache(maxsize=2048)
def compile_expression(text: str):
    """The compiled expression for ``text`` (without the ``{% %}``); ValueError if it is not JSONata."""
    import jsonata as _jsonata
    try:
        expr = _jsonata.Jsonata(text)
    except Exception as exc:  # JException and friends
        raise ValueError(str(exc)) from None
    for name, fn in _EXTRA_FUNCTIONS.items():
        expr.register_lambda(name, fn)
    # Keep JSONata's undefined (None) apart from null, so a field can be left out.
    expr.set_output_convert_nulls(False)
    return expr


def evaluate(expression: str, states: dict, variables: dict | None = None):
    """Evaluate one ``{% %}`` string with ``$states`` and the workflow variables bound
    (JSONata's undefined comes back as None, like null)."""
    value = _evaluate(expression, states, variables)
    return None if value is _UNDEFINED else value


def _evaluate(expression: str, states: dict, variables: dict | None):
    text = body(expression)
    try:
        expr = compile_expression(text)
    except ValueError as exc:
        raise StatesError(QUERY_EVALUATION_ERROR, f"The JSONata expression '{text}' is invalid: {exc}") from None
    bindings = dict(variables) if variables else {}
    if _clock is not None and ("$now" in text or "$millis" in text):
        bindings.update(_time_functions())
    bindings["states"] = states
    try:
        value = expr.evaluate(None, bindings)
    except StatesError:
        raise
    except Exception as exc:
        raise StatesError(
            QUERY_EVALUATION_ERROR,
            f"An error occurred while evaluating the JSONata expression '{text}': {exc}") from None
    return _UNDEFINED if value is None else _plain(value)


def evaluate_template(template, states: dict, variables: dict | None = None):
    """Evaluate every ``{% %}`` string inside a JSON template (objects and arrays are walked).

    A field whose expression evaluates to nothing (JSONata's undefined) is left out
    of its object; at the top of a field it is an error, as nothing cannot be sent on.
    """
    value = _template(template, states, variables)
    return None if value is _UNDEFINED else value


def _template(template, states, variables):
    if is_expression(template):
        return _evaluate(template, states, variables)
    if isinstance(template, dict):
        out = {}
        for key, value in template.items():
            result = _template(value, states, variables)
            if result is not _UNDEFINED:
                out[key] = result
        return out
    if isinstance(template, list):
        return [None if v is _UNDEFINED else v for v in (_template(t, states, variables) for t in template)]
    return template


_UNDEFINED = object()
try:
    from jsonata.utils import Utils as _Utils
    _NULL = _Utils.NULL_VALUE
except Exception:  # pragma: no cover - a jsonata-python without the marker
    _NULL = object()


def _plain(value):
    """jsonata-python returns list subclasses, its own null and floats for integers;
    make plain JSON."""
    if value is None or value is _NULL:
        return None
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


# ---- the functions Step Functions adds to JSONata ---------------------------

def _fail(name, message):
    raise StatesError(QUERY_EVALUATION_ERROR, f"{name}: {message}")


def _partition(array, size):
    if not isinstance(array, list):
        _fail("$partition", "the first argument must be an array")
    if not isinstance(size, (int, float)) or isinstance(size, bool) or size <= 0 or int(size) != size:
        _fail("$partition", "the chunk size must be a positive integer")
    size = int(size)
    return [list(array[i:i + size]) for i in range(0, len(array), size)]


def _range(start, end, step):
    try:
        start, end, step = int(start), int(end), int(step)
    except (TypeError, ValueError):
        _fail("$range", "the arguments must be integers")
    if step == 0:
        _fail("$range", "the step must not be 0")
    out = list(range(start, end + (1 if step > 0 else -1), step))
    if len(out) > 1000:
        _fail("$range", "the array would have more than 1000 items")
    return out


_HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


def _hash(value, algorithm="SHA-256"):
    if algorithm not in _HASHES:
        _fail("$hash", f"the algorithm '{algorithm}' is not one of {', '.join(_HASHES)}")
    data = value if isinstance(value, str) else to_json(_plain(value))
    return hashlib.new(_HASHES[algorithm], data.encode()).hexdigest()


def _random(seed=None):
    return random.Random(seed).random() if seed is not None else random.random()


def _uuid():
    return str(uuid.uuid4())


def _parse(text):
    if not isinstance(text, str):
        _fail("$parse", "the argument must be a string")
    try:
        return json.loads(text)
    except ValueError:
        _fail("$parse", f"'{text}' is not valid JSON")


_EXTRA_FUNCTIONS = {
    "partition": _partition,
    "range": _range,
    "hash": _hash,
    "random": _random,
    "uuid": _uuid,
    "parse": _parse,
}
