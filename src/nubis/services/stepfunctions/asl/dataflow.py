"""How data moves through one state, in both query languages.

JSONPath (the default): InputPath -> Parameters/ItemSelector -> (the work) ->
ResultSelector -> ResultPath -> OutputPath, with ``.$`` fields, ``$$`` for the
context object and ``$name`` for workflow variables. JSONata: ``$states.input``,
Arguments -> (the work) -> ``$states.result`` -> Output, with ``{% %}`` expressions.
Assign works in both and is evaluated with the variables as they were when the
state was entered (a state's assignments are not visible to its own Output).

Every function here takes the state's *raw* input (what the previous state
output) and applies InputPath itself where the language says so.
"""
from __future__ import annotations

import random as _random

from . import intrinsics, jsonata, paths
from .choice import choose_rule, parse_timestamp
from .errors import (
    ALL, DATA_LIMIT_EXCEEDED, QUERY_EVALUATION_ERROR, RUNTIME, TASK_FAILED, TERMINAL, TIMEOUT,
    StatesError, check_size, to_json,
)

JSONPATH, JSONATA = "JSONPath", "JSONata"

# States whose work produces a result that ResultSelector/ResultPath apply to.
_RESULT_STATES = frozenset({"Task", "Map", "Parallel"})


def language_of(state: dict, default: str = JSONPATH) -> str:
    return state.get("QueryLanguage") or default or JSONPATH


def _input_path(state, raw_input, context, variables):
    input_path = state.get("InputPath", "$")
    if input_path is None:
        return {}
    if input_path == "$":
        return raw_input
    return paths.select(input_path, raw_input, context, variables)


def payload(template, data, context=None, variables=None):
    """A JSONPath payload template (Parameters, ItemSelector, ResultSelector, Assign):
    a ``key.$`` field takes the value of its path or intrinsic function call."""
    if isinstance(template, dict):
        out = {}
        for key, value in template.items():
            if key.endswith(".$") and isinstance(value, str):
                name = key[:-2]
                if intrinsics.looks_like_call(value):
                    out[name] = intrinsics.evaluate(value, data, context, variables)
                else:
                    out[name] = paths.select(value, data, context, variables, field=key)
            else:
                out[key] = payload(value, data, context, variables)
        return out
    if isinstance(template, list):
        return [payload(v, data, context, variables) for v in template]
    return template


def _states(raw_input, context, result=None, error_output=None, *, has_result=False):
    states = {"input": raw_input, "context": context}
    if has_result:
        states["result"] = result
    if error_output is not None:
        states["errorOutput"] = error_output
    return states


class StateIO:
    """The data flow of one state definition."""

    def __init__(self, state: dict, query_language: str = JSONPATH):
        self.state = state
        self.type = state.get("Type")
        self.language = language_of(state, query_language)

    @property
    def jsonata(self) -> bool:
        return self.language == JSONATA

    # -- input ---------------------------------------------------------------

    def effective_input(self, raw_input, context=None, variables=None):
        """What the state works on. JSONPath: InputPath, then Parameters (not for
        a Map, whose ItemSelector applies per item: see item_input). JSONata: Arguments."""
        state = self.state
        if self.jsonata:
            if "Arguments" in state:
                value = jsonata.evaluate_template(state["Arguments"], _states(raw_input, context), variables)
            else:
                value = raw_input
        else:
            value = _input_path(state, raw_input, context, variables)
            if "Parameters" in state and self.type != "Map":
                value = payload(state["Parameters"], value, context, variables)
        check_size(value, "state input")
        return value

    def item_input(self, raw_input, item, context=None, variables=None):
        """The input of one Map iteration: ItemSelector (or the older Parameters) with
        ``$$.Map.Item`` / ``$states.context.Map.Item`` in ``context``, else the item."""
        state = self.state
        selector = state.get("ItemSelector", state.get("Parameters") if not self.jsonata else None)
        if selector is None:
            return item
        if self.jsonata:
            return jsonata.evaluate_template(selector, _states(raw_input, context), variables)
        return payload(selector, _input_path(state, raw_input, context, variables), context, variables)

    # -- output --------------------------------------------------------------

    def result(self, raw_input, task_result=None, context=None, variables=None):
        """The state's output. ``task_result`` is what the work returned (a Task's
        result, a Map's or Parallel's array; for a Pass, its effective input)."""
        state = self.state
        if self.jsonata:
            default = task_result if self.type in _RESULT_STATES else raw_input
            if self.type == "Pass" and "Output" not in state:
                default = raw_input
            if "Output" in state:
                output = jsonata.evaluate_template(
                    state["Output"],
                    _states(raw_input, context, task_result, has_result=self.type in _RESULT_STATES),
                    variables)
            else:
                output = default
            check_size(output, "state output")
            return output
        if self.type in ("Choice", "Wait", "Succeed"):
            output = _input_path(state, raw_input, context, variables)
        else:
            if self.type == "Pass":
                result = state["Result"] if "Result" in state else task_result
            else:
                result = task_result
                if "ResultSelector" in state and self.type in _RESULT_STATES:
                    result = payload(state["ResultSelector"], result, context, variables)
            output = paths.apply_result_path(raw_input, state.get("ResultPath", "$"), result)
        output = self._output_path(output, context, variables)
        check_size(output, "state output")
        return output

    def _output_path(self, output, context, variables):
        output_path = self.state.get("OutputPath", "$")
        if output_path is None:
            return {}
        if output_path == "$":
            return output
        return paths.select(output_path, output, context, variables)

    def assign(self, raw_input, task_result=None, context=None, variables=None) -> dict:
        """The variables the state's Assign sets (to be merged into the workflow's)."""
        return assign(self.state.get("Assign"), self.language, raw_input, task_result, context, variables,
                      has_result=self.type in _RESULT_STATES)

    # -- errors --------------------------------------------------------------

    def error_output(self, raw_input, error: str, cause: str, result_path="$"):
        """The output a JSONPath catcher passes on: {"Error", "Cause"} at its ResultPath."""
        return error_output(raw_input, error, cause, result_path)


def assign(template, language, raw_input, result=None, context=None, variables=None, *,
           has_result=False, error_output=None) -> dict:
    """Evaluate an Assign block. JSONPath: ``$`` is the state's result (for a
    catcher, the error output; for states without one, the input) and
    ``$states.input``/``result``/``errorOutput``/``context`` are available.
    JSONata: the same ``$states``."""
    if not template:
        return {}
    states = _states(raw_input, context, result, error_output, has_result=has_result)
    if language == JSONATA:
        values = jsonata.evaluate_template(template, states, variables)
    else:
        if error_output is not None:
            data = error_output
        elif has_result:
            data = result
        else:
            data = raw_input
        scope = dict(variables or {})
        scope["states"] = states
        values = payload(template, data, context, scope)
    if not isinstance(values, dict):
        raise StatesError(RUNTIME, "The Assign field must evaluate to a JSON object")
    check_size(values, "assigned variables")
    return values


def error_output(raw_input, error: str, cause: str, result_path="$"):
    value = {"Error": error, "Cause": cause}
    output = paths.apply_result_path(raw_input, result_path, value)
    check_size(output, "state output")
    return output


def catcher_output(catcher: dict, language: str, raw_input, error: str, cause: str,
                   context=None, variables=None):
    """The output of the state a catcher sends the execution to, in either language."""
    value = {"Error": error, "Cause": cause}
    if language_of(catcher, language) == JSONATA:
        if "Output" not in catcher:
            return value
        return jsonata.evaluate_template(
            catcher["Output"], _states(raw_input, context, error_output=value), variables)
    return error_output(raw_input, error, cause, catcher.get("ResultPath", "$"))


def catcher_assign(catcher: dict, language: str, raw_input, error: str, cause: str,
                   context=None, variables=None) -> dict:
    value = {"Error": error, "Cause": cause}
    return assign(catcher.get("Assign"), language_of(catcher, language), raw_input,
                  context=context, variables=variables, error_output=value)


def choice_outcome(choice_state: dict, raw_input, context=None, variables=None,
                   query_language: str = JSONPATH) -> tuple[str | None, object, dict]:
    """What a Choice state does: (next state or None for States.NoChoiceMatched,
    its output, the variables it assigns). The state's Assign applies whichever rule
    matched, and the matching rule's own Assign (and, in JSONata, Output) on top."""
    io = StateIO(choice_state, query_language)
    data = raw_input if io.jsonata else _input_path(choice_state, raw_input, context, variables)
    rule = choose_rule(choice_state, data, context, variables, io.language)
    nxt = rule.get("Next") if rule is not None else choice_state.get("Default")
    if nxt is None:
        return None, None, {}
    assigned = assign(choice_state.get("Assign"), io.language, raw_input, context=context, variables=variables)
    if rule is not None and rule.get("Assign"):
        assigned = {**assigned, **assign(rule["Assign"], io.language, raw_input, context=context,
                                         variables=variables)}
    if io.jsonata and rule is not None and "Output" in rule:
        output = jsonata.evaluate_template(rule["Output"], _states(raw_input, context), variables)
        check_size(output, "state output")
    else:
        output = io.result(raw_input, None, context, variables)
    return nxt, output, assigned


# ---- Wait, timeouts, Map items, Fail ---------------------------------------

def _number_field(state, name, language, raw_input, context, variables, *, integer=True):
    """A field given as a number, a JSONata expression, or (JSONPath) ``<name>Path``."""
    if name in state:
        value = state[name]
        if jsonata.is_expression(value):
            value = jsonata.evaluate(value, _states(raw_input, context), variables)
            if not _is_count(value, integer):
                raise StatesError(
                    QUERY_EVALUATION_ERROR,
                    f"The {name} field's expression must evaluate to a positive integer, not {to_json(value)}")
        return value
    path_name = name + "Path"
    if path_name in state:
        data = _input_path(state, raw_input, context, variables)
        value = paths.select(state[path_name], data, context, variables)
        if not _is_count(value, integer):
            raise StatesError(
                RUNTIME,
                f"The value of the field '{path_name}' must be a positive integer: {to_json(value)}")
        return value
    return None


def _is_count(value, integer=True) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if integer and not float(value).is_integer():
        return False
    return value >= 0


def wait_until(wait_state: dict, input, context=None, variables=None, now: float = 0.0,
               query_language: str = JSONPATH) -> float:
    """The epoch second a Wait state ends: Seconds/SecondsPath from ``now``, or
    Timestamp/TimestampPath (JSONata: Seconds/Timestamp expressions)."""
    language = language_of(wait_state, query_language)
    seconds = _number_field(wait_state, "Seconds", language, input, context, variables)
    if seconds is not None:
        return now + seconds
    if "Timestamp" in wait_state:
        stamp = wait_state["Timestamp"]
        if jsonata.is_expression(stamp):
            stamp = jsonata.evaluate(stamp, _states(input, context), variables)
        when = parse_timestamp(stamp)
        if when is None:
            raise StatesError(
                QUERY_EVALUATION_ERROR if language == JSONATA else RUNTIME,
                f"The Timestamp '{stamp}' is not an RFC 3339 timestamp")
        return when.timestamp()
    if "TimestampPath" in wait_state:
        data = _input_path(wait_state, input, context, variables)
        stamp = paths.select(wait_state["TimestampPath"], data, context, variables)
        when = parse_timestamp(stamp)
        if when is None:
            raise StatesError(
                RUNTIME, f"The value of the field 'TimestampPath' is not an RFC 3339 timestamp: {to_json(stamp)}")
        return when.timestamp()
    raise StatesError(RUNTIME, "The Wait state has none of Seconds, Timestamp, SecondsPath, TimestampPath")


def timeout_seconds(state: dict, input, context=None, variables=None, query_language: str = JSONPATH):
    """TimeoutSeconds / TimeoutSecondsPath (or a JSONata expression); None when unset."""
    return _number_field(state, "TimeoutSeconds", language_of(state, query_language), input, context, variables)


def heartbeat_seconds(state: dict, input, context=None, variables=None, query_language: str = JSONPATH):
    """HeartbeatSeconds / HeartbeatSecondsPath (or a JSONata expression); None when unset."""
    return _number_field(state, "HeartbeatSeconds", language_of(state, query_language), input, context, variables)


def max_concurrency(map_state: dict, input, context=None, variables=None, query_language: str = JSONPATH) -> int:
    """MaxConcurrency / MaxConcurrencyPath; 0 (no limit) when unset."""
    value = _number_field(map_state, "MaxConcurrency", language_of(map_state, query_language),
                          input, context, variables)
    return int(value or 0)


def items(map_state: dict, input, context=None, variables=None, query_language: str = JSONPATH) -> list:
    """The array a Map state iterates over: ItemsPath (JSONPath, after InputPath) or Items (JSONata)."""
    if language_of(map_state, query_language) == JSONATA:
        value = map_state.get("Items", "{% $states.input %}")
        if jsonata.is_expression(value) or isinstance(value, (dict, list)):
            value = jsonata.evaluate_template(value, _states(input, context), variables)
        if not isinstance(value, list):
            raise StatesError(
                QUERY_EVALUATION_ERROR, f"The Items field must evaluate to a JSON array, not {to_json(value)}")
        return value
    data = _input_path(map_state, input, context, variables)
    items_path = map_state.get("ItemsPath", "$")
    value = data if items_path == "$" else paths.select(items_path, data, context, variables)
    if not isinstance(value, list):
        raise StatesError(
            RUNTIME,
            f"Item selection failed: the value at ItemsPath '{items_path}' is not a JSON array: {to_json(value)}")
    return value


def error_and_cause(fail_state: dict, input, context=None, variables=None,
                    query_language: str = JSONPATH) -> tuple[str | None, str | None]:
    """A Fail state's Error and Cause: fixed strings, ErrorPath/CausePath (a path or
    an intrinsic function, JSONPath) or expressions (JSONata)."""
    language = language_of(fail_state, query_language)
    out = []
    for name in ("Error", "Cause"):
        value = fail_state.get(name)
        if language == JSONATA and jsonata.is_expression(value):
            value = jsonata.evaluate(value, _states(input, context), variables)
        elif name + "Path" in fail_state:
            text = fail_state[name + "Path"]
            if intrinsics.looks_like_call(text):
                value = intrinsics.evaluate(text, input, context, variables)
            else:
                value = paths.select(text, input, context, variables)
        if value is not None and not isinstance(value, str):
            raise StatesError(
                QUERY_EVALUATION_ERROR if language == JSONATA else RUNTIME,
                f"The {name} of the Fail state must be a string, not {to_json(value)}")
        out.append(value)
    return out[0], out[1]


# ---- Retry and Catch ------------------------------------------------------

def matches(error_equals, error: str) -> bool:
    """Whether an ErrorEquals list matches ``error``. States.ALL matches any error and
    States.TaskFailed any but States.Timeout; neither matches States.Runtime or
    States.DataLimitExceeded, which end the execution."""
    if error in error_equals:
        return True
    if error in TERMINAL:
        return False
    if ALL in error_equals:
        return True
    return TASK_FAILED in error_equals and error != TIMEOUT


def retry_delay(retriers: list, error: str, attempts: dict | None, rand=None) -> tuple[float | None, dict]:
    """The delay before the next attempt, or None to stop retrying (then Catch applies).

    The first retrier whose ErrorEquals matches decides. ``attempts`` counts the
    retries each retrier (by index, as a string key so it stores as JSON) made; the
    updated copy is returned. Delay: IntervalSeconds (1) * BackoffRate (2.0) ** retries
    made, capped by MaxDelaySeconds, and with JitterStrategy FULL a uniform random
    fraction of that. MaxAttempts (3) of 0 never retries.
    """
    attempts = dict(attempts or {})
    if error == DATA_LIMIT_EXCEEDED or error == RUNTIME:
        return None, attempts
    for index, retrier in enumerate(retriers or ()):
        if not matches(retrier.get("ErrorEquals", ()), error):
            continue
        key = str(index)
        made = attempts.get(key, 0)
        if made >= retrier.get("MaxAttempts", 3):
            return None, attempts
        delay = retrier.get("IntervalSeconds", 1) * retrier.get("BackoffRate", 2.0) ** made
        if "MaxDelaySeconds" in retrier:
            delay = min(delay, retrier["MaxDelaySeconds"])
        if retrier.get("JitterStrategy", "NONE") == "FULL":
            draw = rand if callable(rand) else (rand.random if rand is not None else _random.random)
            delay = draw() * delay
        attempts[key] = made + 1
        return float(delay), attempts
    return None, attempts


def catch(catchers: list, error: str) -> dict | None:
    """The first catcher whose ErrorEquals matches ``error``, or None."""
    for catcher in catchers or ():
        if matches(catcher.get("ErrorEquals", ()), error):
            return catcher
    return None
