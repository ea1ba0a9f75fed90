"""Definition validation: what CreateStateMachine refuses and what
ValidateStateMachineDefinition reports, with AWS's diagnostic codes.

``diagnostics`` walks the definition once (the top level, then every Parallel
branch and Map processor as a state machine of its own) and lists ERROR and
WARNING entries with a JSON-pointer-like location (``/States/A/Next``);
``validate`` returns the parsed definition or raises InvalidDefinition naming
every error, as AWS's message does.
"""
from __future__ import annotations

import json

from nubis.protocol.errors import ServiceError

from . import choice, intrinsics, jsonata, paths

ERROR, WARNING = "ERROR", "WARNING"
JSONPATH, JSONATA = "JSONPath", "JSONata"
STATE_TYPES = ("Task", "Pass", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map")
_NEXT_OR_END = frozenset({"Task", "Pass", "Wait", "Parallel", "Map"})

_TOP_FIELDS = {"Comment", "StartAt", "States", "Version", "TimeoutSeconds", "QueryLanguage"}
_COMMON = {"Type", "Comment", "QueryLanguage"}
_TRANSITION = {"Next", "End"}
_JSONPATH_IO = {"InputPath", "OutputPath"}
_ERROR_HANDLING = {"Retry", "Catch"}
_TASK_TIMING = {"TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds", "HeartbeatSecondsPath"}

# Fields each state type accepts, per query language.
_FIELDS = {
    ("Task", JSONPATH): _COMMON | _TRANSITION | _JSONPATH_IO | _ERROR_HANDLING | _TASK_TIMING | {
        "Resource", "Parameters", "ResultPath", "ResultSelector", "Credentials", "Assign"},
    ("Task", JSONATA): _COMMON | _TRANSITION | _ERROR_HANDLING | {
        "Resource", "Arguments", "Output", "Assign", "Credentials", "TimeoutSeconds", "HeartbeatSeconds"},
    ("Pass", JSONPATH): _COMMON | _TRANSITION | _JSONPATH_IO | {"Parameters", "Result", "ResultPath", "Assign"},
    ("Pass", JSONATA): _COMMON | _TRANSITION | {"Output", "Assign"},
    ("Choice", JSONPATH): _COMMON | _JSONPATH_IO | {"Choices", "Default", "Assign"},
    ("Choice", JSONATA): _COMMON | {"Choices", "Default", "Output", "Assign"},
    ("Wait", JSONPATH): _COMMON | _TRANSITION | _JSONPATH_IO | {
        "Seconds", "Timestamp", "SecondsPath", "TimestampPath", "Assign"},
    ("Wait", JSONATA): _COMMON | _TRANSITION | {"Seconds", "Timestamp", "Output", "Assign"},
    ("Succeed", JSONPATH): _COMMON | _JSONPATH_IO,
    ("Succeed", JSONATA): _COMMON | {"Output"},
    ("Fail", JSONPATH): _COMMON | {"Error", "Cause", "ErrorPath", "CausePath"},
    ("Fail", JSONATA): _COMMON | {"Error", "Cause"},
    ("Parallel", JSONPATH): _COMMON | _TRANSITION | _JSONPATH_IO | _ERROR_HANDLING | {
        "Branches", "Parameters", "ResultPath", "ResultSelector", "Assign"},
    ("Parallel", JSONATA): _COMMON | _TRANSITION | _ERROR_HANDLING | {"Branches", "Arguments", "Output", "Assign"},
    ("Map", JSONPATH): _COMMON | _TRANSITION | _JSONPATH_IO | _ERROR_HANDLING | {
        "ItemProcessor", "Iterator", "ItemsPath", "ItemSelector", "Parameters", "ItemReader", "ItemBatcher",
        "ResultWriter", "ResultPath", "ResultSelector", "MaxConcurrency", "MaxConcurrencyPath",
        "ToleratedFailurePercentage", "ToleratedFailurePercentagePath", "ToleratedFailureCount",
        "ToleratedFailureCountPath", "Label", "Assign"},
    ("Map", JSONATA): _COMMON | _TRANSITION | _ERROR_HANDLING | {
        "ItemProcessor", "Items", "ItemSelector", "ItemReader", "ItemBatcher", "ResultWriter", "Output",
        "MaxConcurrency", "ToleratedFailurePercentage", "ToleratedFailureCount", "Label", "Assign"},
}
_RETRY_FIELDS = {"ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds",
                 "JitterStrategy", "Comment"}
_CATCH_FIELDS = {JSONPATH: {"ErrorEquals", "Next", "ResultPath", "Assign", "Comment"},
                 JSONATA: {"ErrorEquals", "Next", "Output", "Assign", "Comment"}}


class _DuplicateKey(ValueError):
    def __init__(self, key, is_state):
        super().__init__(key)
        self.key = key
        self.is_state = is_state


def _no_duplicates(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            # Two members of a States object with one name: two states of that name.
            raise _DuplicateKey(key, isinstance(value, dict) and "Type" in value)
        obj[key] = value
    return obj


class _Checker:
    def __init__(self):
        self.found: list[dict] = []
        self.state_names: dict[str, str] = {}

    def add(self, code, message, location, severity=ERROR):
        self.found.append({"severity": severity, "code": code, "message": message, "location": location})

    def schema(self, message, location):
        self.add("SCHEMA_VALIDATION_FAILED", message, location)

    # -- a state machine (the top level, a branch, a Map processor) ---------

    def machine(self, machine, at: str, language: str, *, top: bool = False):
        if not isinstance(machine, dict):
            self.schema("The value must be a JSON object", at or "/")
            return
        allowed = _TOP_FIELDS if top else {"Comment", "StartAt", "States", "ProcessorConfig", "QueryLanguage"}
        for key in machine:
            if key not in allowed:
                self.schema(f"The field '{key}' is not supported by Step Functions", at or "/")
        missing = [k for k in ("StartAt", "States") if k not in machine]
        if missing:
            self.schema(f"These fields are required: [{', '.join(missing)}]", at or "/")
        if "QueryLanguage" in machine:
            if machine["QueryLanguage"] not in (JSONPATH, JSONATA):
                self.schema("The value for the field 'QueryLanguage' must be one of [JSONPath, JSONata]",
                            f"{at}/QueryLanguage")
            else:
                language = machine["QueryLanguage"]
        if top and "TimeoutSeconds" in machine and not _positive_int(machine["TimeoutSeconds"]):
            self.schema("The value for the field 'TimeoutSeconds' must be a positive integer", f"{at}/TimeoutSeconds")
        states = machine.get("States")
        if "States" in machine and (not isinstance(states, dict) or not states):
            self.schema("The field 'States' must be a non-empty JSON object", f"{at}/States")
            states = None
        start = machine.get("StartAt")
        if "StartAt" in machine and not isinstance(start, str):
            self.schema("The value for the field 'StartAt' must be a STRING", f"{at}/StartAt")
            start = None
        if not isinstance(states, dict):
            return
        for name, state in states.items():
            self.state(name, state, f"{at}/States/{name}", language, states)
        if start is not None and start not in states:
            self.add("MISSING_TRANSITION_TARGET", f"Missing 'Next' target: {start}", f"{at}/StartAt")
        self.reachability(states, start, at)

    def reachability(self, states, start, at):
        terminal = False
        seen, todo = set(), [start] if start in states else []
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            for nxt, is_end in _transitions(states[name]):
                if is_end:
                    terminal = True
                elif nxt in states:
                    todo.append(nxt)
        for name in states:
            if name not in seen and start in states:
                self.add("UNREACHABLE_STATE", f"State \"{name}\" is not reachable.", f"{at}/States/{name}")
        if start in states and not terminal:
            self.add("MISSING_END_STATE", "Workflow has no terminal state.", at or "/")

    # -- one state --------------------------------------------------------------

    def state(self, name, state, at, language, siblings):
        if len(name) > 80 or not name:
            self.add("INVALID_STATE_NAME", f"State name '{name}' must be between 1 and 80 characters long", at)
        elif any(ch in name for ch in "\u0000\u001f") or any(ord(ch) < 0x20 or 0x7f <= ord(ch) <= 0x9f for ch in name):
            self.add("INVALID_STATE_NAME", f"State name '{name}' contains control characters", at)
        if name in self.state_names:
            self.add("DUPLICATE_STATE_NAME", f"Duplicate State name: {name}", at)
        else:
            self.state_names[name] = at
        if not isinstance(state, dict):
            self.schema("The value for the state must be a JSON object", at)
            return
        kind = state.get("Type")
        if "Type" not in state:
            self.schema("These fields are required: [Type]", at)
            return
        if kind not in STATE_TYPES:
            self.schema(f"The value for the field 'Type' must be one of {list(STATE_TYPES)}", f"{at}/Type")
            return
        if "QueryLanguage" in state:
            if state["QueryLanguage"] not in (JSONPATH, JSONATA):
                self.schema("The value for the field 'QueryLanguage' must be one of [JSONPath, JSONata]",
                            f"{at}/QueryLanguage")
            elif language == JSONATA and state["QueryLanguage"] == JSONPATH:
                self.schema("A state can not use JSONPath when the state machine's QueryLanguage is JSONata",
                            f"{at}/QueryLanguage")
            else:
                language = state["QueryLanguage"]
        allowed = _FIELDS[(kind, language)]
        for key in state:
            if key not in allowed:
                other = JSONATA if language == JSONPATH else JSONPATH
                if key in _FIELDS[(kind, other)]:
                    self.schema(f"The field '{key}' is not supported for a {language} state", f"{at}/{key}")
                else:
                    self.schema(f"The field '{key}' is not supported by Step Functions", f"{at}/{key}")
        self.transition(kind, state, at, siblings)
        getattr(self, "state_" + kind.lower())(state, at, language, siblings)
        self.io(kind, state, at, language)
        if "Retry" in state:
            self.retry(state["Retry"], f"{at}/Retry")
        if "Catch" in state:
            self.catch(state["Catch"], f"{at}/Catch", language, siblings)

    def transition(self, kind, state, at, siblings):
        has_next, has_end = "Next" in state, "End" in state
        if kind in _NEXT_OR_END:
            if has_next and has_end:
                self.schema("Only one of 'Next' or 'End' can be present", at)
            elif not has_next and not has_end:
                self.schema("These fields are required: [Next or End]", at)
        if has_next:
            if not isinstance(state["Next"], str):
                self.schema("The value for the field 'Next' must be a STRING", f"{at}/Next")
            elif state["Next"] not in siblings:
                self.add("MISSING_TRANSITION_TARGET", f"Missing 'Next' target: {state['Next']}", f"{at}/Next")
        if has_end and state["End"] is not True:
            self.schema("The value for the field 'End' must be true", f"{at}/End")

    # -- data flow fields ---------------------------------------------------------

    def io(self, kind, state, at, language):
        if language == JSONATA:
            for key in ("Arguments", "Output", "Assign", "Items", "ItemSelector", "Seconds", "Timestamp",
                        "TimeoutSeconds", "HeartbeatSeconds", "MaxConcurrency", "Error", "Cause",
                        "ToleratedFailurePercentage", "ToleratedFailureCount"):
                if key in state:
                    self.jsonata_template(state[key], f"{at}/{key}")
            if "Arguments" in state and kind == "Task" and not (
                    isinstance(state["Arguments"], dict) or jsonata.is_expression(state["Arguments"])):
                self.schema("The value for the field 'Arguments' must be an OBJECT or a JSONata expression",
                            f"{at}/Arguments")
            return
        for key in ("InputPath", "OutputPath"):
            if key in state and state[key] is not None and not paths.is_path(state[key]):
                self.schema(f"The value for the field '{key}' must be a valid JSONPath", f"{at}/{key}")
        if "ResultPath" in state:
            self.result_path(state["ResultPath"], f"{at}/ResultPath")
        for key in ("Parameters", "ResultSelector", "ItemSelector", "Assign"):
            if key in state:
                self.payload(state[key], f"{at}/{key}", top=True, field=key)
        if kind == "Pass" and "Result" in state:
            self.pass_result(state["Result"], f"{at}/Result")
        for key in ("ItemsPath",):
            if key in state and not paths.is_reference_path(state[key]):
                self.schema(f"The value for the field '{key}' must be a valid reference path", f"{at}/{key}")
        for key in ("SecondsPath", "TimestampPath", "TimeoutSecondsPath", "HeartbeatSecondsPath",
                    "MaxConcurrencyPath", "ToleratedFailurePercentagePath", "ToleratedFailureCountPath"):
            if key in state and not paths.is_reference_path(state[key]):
                self.schema(f"The value for the field '{key}' must be a valid reference path", f"{at}/{key}")

    def result_path(self, value, at):
        if value is not None and not (paths.is_reference_path(value) and paths.parse(value).root == "$"):
            self.schema("The value for the field 'ResultPath' must be a valid reference path", at)

    def payload(self, template, at, *, top=False, field=""):
        if top and field in ("Parameters", "ResultSelector", "ItemSelector", "Assign") and not isinstance(template, dict):
            if field in ("ResultSelector", "Assign"):
                self.schema(f"The value for the field '{field}' must be an OBJECT", at)
                return
        if isinstance(template, dict):
            for key, value in template.items():
                where = f"{at}/{key}"
                if key.endswith(".$"):
                    if not isinstance(value, str):
                        self.schema(f"The value for the field '{key}' must be a STRING that contains a JSONPath "
                                    "or an intrinsic function", where)
                    elif intrinsics.looks_like_call(value):
                        try:
                            intrinsics.parse(value)
                        except ValueError as exc:
                            self.schema(f"The value for the field '{key}' must be a valid intrinsic function "
                                        f"call: {exc}", where)
                    elif not paths.is_path(value):
                        self.schema(f"The value for the field '{key}' must be a valid JSONPath", where)
                else:
                    if isinstance(value, str) and (value.startswith("$.") or value == "$" or value.startswith("$$.")
                                                   or intrinsics.looks_like_call(value)):
                        self.add("NO_DOLLAR", f"The value for the field '{key}' looks like a JSONPath or an "
                                 "intrinsic function, but the field name does not end with '.$'", where, WARNING)
                    self.payload(value, where)
        elif isinstance(template, list):
            for i, value in enumerate(template):
                self.payload(value, f"{at}/{i}")

    def pass_result(self, value, at):
        if isinstance(value, dict):
            for key, inner in value.items():
                if key.endswith(".$"):
                    self.add("PASS_RESULT_IS_STATIC", f"The field '{key}' of a Pass state's Result is static: "
                             "use Parameters to select from the input", f"{at}/{key}", WARNING)
                self.pass_result(inner, f"{at}/{key}")
        elif isinstance(value, list):
            for i, inner in enumerate(value):
                self.pass_result(inner, f"{at}/{i}")

    def jsonata_template(self, value, at):
        if jsonata.is_expression(value):
            try:
                jsonata.compile_expression(jsonata.body(value))
            except ValueError as exc:
                self.schema(f"The JSONata expression '{value}' is not valid: {exc}", at)
        elif isinstance(value, dict):
            for key, inner in value.items():
                self.jsonata_template(inner, f"{at}/{key}")
        elif isinstance(value, list):
            for i, inner in enumerate(value):
                self.jsonata_template(inner, f"{at}/{i}")

    # -- the state types ---------------------------------------------------------

    def state_task(self, state, at, language, siblings):
        resource = state.get("Resource")
        if "Resource" not in state:
            self.schema("These fields are required: [Resource]", at)
        elif not isinstance(resource, str) or not resource.startswith("arn:") or resource.count(":") < 5:
            self.add("INVALID_RESOURCE", f"Resource '{resource}' is not a valid ARN", f"{at}/Resource")
        self.exclusive(state, at, "TimeoutSeconds", "TimeoutSecondsPath")
        self.exclusive(state, at, "HeartbeatSeconds", "HeartbeatSecondsPath")
        for key in ("TimeoutSeconds", "HeartbeatSeconds"):
            if key in state and not jsonata.is_expression(state[key]) and not _positive_int(state[key]):
                self.schema(f"The value for the field '{key}' must be a positive integer", f"{at}/{key}")
        t, h = state.get("TimeoutSeconds"), state.get("HeartbeatSeconds")
        if _positive_int(t) and _positive_int(h) and h >= t:
            self.schema("The value for the field 'HeartbeatSeconds' must be smaller than the value for the "
                        "field 'TimeoutSeconds'", f"{at}/HeartbeatSeconds")

    def state_pass(self, state, at, language, siblings):
        pass

    def state_succeed(self, state, at, language, siblings):
        pass

    def state_wait(self, state, at, language, siblings):
        given = [k for k in ("Seconds", "Timestamp", "SecondsPath", "TimestampPath") if k in state]
        if len(given) != 1:
            self.schema("Exactly one of the fields [Seconds, Timestamp, SecondsPath, TimestampPath] is required"
                        if not given else f"Only one of the fields {given} can be present", at)
            return
        key = given[0]
        value = state[key]
        if jsonata.is_expression(value):
            return
        if key == "Seconds" and not (_int(value) and value >= 0):
            self.schema("The value for the field 'Seconds' must be a non-negative integer", f"{at}/Seconds")
        if key == "Timestamp" and choice.parse_timestamp(value) is None:
            self.schema("The value for the field 'Timestamp' must be a valid RFC3339 timestamp", f"{at}/Timestamp")

    def state_fail(self, state, at, language, siblings):
        self.exclusive(state, at, "Error", "ErrorPath")
        self.exclusive(state, at, "Cause", "CausePath")
        for key in ("Error", "Cause"):
            if key in state and not isinstance(state[key], str):
                self.schema(f"The value for the field '{key}' must be a STRING", f"{at}/{key}")
        for key in ("ErrorPath", "CausePath"):
            if key in state:
                value = state[key]
                if intrinsics.looks_like_call(value):
                    try:
                        intrinsics.parse(value)
                    except ValueError as exc:
                        self.schema(f"The value for the field '{key}' must be a valid intrinsic function call: {exc}",
                                    f"{at}/{key}")
                elif not paths.is_reference_path(value):
                    self.schema(f"The value for the field '{key}' must be a valid reference path or intrinsic "
                                "function", f"{at}/{key}")

    def state_choice(self, state, at, language, siblings):
        choices = state.get("Choices")
        if "Choices" not in state:
            self.schema("These fields are required: [Choices]", at)
            return
        if not isinstance(choices, list) or not choices:
            self.schema("The field 'Choices' must be a non-empty array", f"{at}/Choices")
            return
        for i, rule in enumerate(choices):
            where = f"{at}/Choices/{i}"
            if not isinstance(rule, dict):
                self.schema("A choice rule must be a JSON object", where)
                continue
            if "Next" not in rule:
                self.schema("These fields are required: [Next]", where)
            elif rule["Next"] not in siblings:
                self.add("MISSING_TRANSITION_TARGET", f"Missing 'Next' target: {rule['Next']}", f"{where}/Next")
            if language == JSONATA:
                for key in rule:
                    if key not in ("Condition", "Next", "Comment", "Output", "Assign"):
                        self.schema(f"The field '{key}' is not supported by Step Functions", f"{where}/{key}")
                if "Condition" not in rule:
                    self.schema("These fields are required: [Condition]", where)
                elif jsonata.is_expression(rule["Condition"]):
                    self.jsonata_template(rule["Condition"], f"{where}/Condition")
                elif not isinstance(rule["Condition"], bool):
                    self.schema("The value for the field 'Condition' must be a JSONata expression or a boolean",
                                f"{where}/Condition")
                for key in ("Output", "Assign"):
                    if key in rule:
                        self.jsonata_template(rule[key], f"{where}/{key}")
            else:
                self.rule(rule, where, top=True)
                if "Assign" in rule:
                    self.payload(rule["Assign"], f"{where}/Assign", top=True, field="Assign")
        if "Default" in state and state["Default"] not in siblings:
            self.add("MISSING_TRANSITION_TARGET", f"Missing 'Next' target: {state['Default']}", f"{at}/Default")

    def rule(self, rule, at, *, top=False):
        extra = {"Next", "Comment", "Assign"} if top else {"Comment"}
        if not top and "Next" in rule:
            self.schema("The field 'Next' is not supported in a nested choice rule", f"{at}/Next")
        for combinator in ("And", "Or"):
            if combinator in rule:
                nested = rule[combinator]
                if not isinstance(nested, list) or not nested:
                    self.schema(f"The field '{combinator}' must be a non-empty array", f"{at}/{combinator}")
                    return
                for j, inner in enumerate(nested):
                    self.rule(inner, f"{at}/{combinator}/{j}") if isinstance(inner, dict) else \
                        self.schema("A choice rule must be a JSON object", f"{at}/{combinator}/{j}")
                self.only(rule, at, extra | {combinator})
                return
        if "Not" in rule:
            if not isinstance(rule["Not"], dict):
                self.schema("The field 'Not' must be a JSON object", f"{at}/Not")
            else:
                self.rule(rule["Not"], f"{at}/Not")
            self.only(rule, at, extra | {"Not"})
            return
        ops = [k for k in rule if k in choice.COMPARISONS]
        if len(ops) != 1:
            self.schema("A choice rule must have exactly one comparison operator"
                        if ops else "A choice rule must have a comparison operator or And, Or, Not", at)
            return
        self.only(rule, at, extra | {"Variable", ops[0]})
        if "Variable" not in rule:
            self.schema("These fields are required: [Variable]", at)
        elif not paths.is_path(rule["Variable"]):
            self.schema("The value for the field 'Variable' must be a valid JSONPath", f"{at}/Variable")
        op, value = ops[0], rule[ops[0]]
        where = f"{at}/{op}"
        if op.endswith("Path"):
            if not paths.is_path(value):
                self.schema(f"The value for the field '{op}' must be a valid JSONPath", where)
        elif op.startswith("Is") or op == "BooleanEquals":
            if not isinstance(value, bool):
                self.schema(f"The value for the field '{op}' must be a BOOLEAN", where)
        elif op.startswith("Numeric"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self.schema(f"The value for the field '{op}' must be a NUMBER", where)
        elif op.startswith("Timestamp"):
            if choice.parse_timestamp(value) is None:
                self.schema(f"The value for the field '{op}' must be a valid RFC3339 timestamp", where)
        elif not isinstance(value, str):
            self.schema(f"The value for the field '{op}' must be a STRING", where)

    def only(self, rule, at, allowed):
        for key in rule:
            if key not in allowed:
                self.schema(f"The field '{key}' is not supported by Step Functions", f"{at}/{key}")

    def state_parallel(self, state, at, language, siblings):
        branches = state.get("Branches")
        if "Branches" not in state:
            self.schema("These fields are required: [Branches]", at)
            return
        if not isinstance(branches, list) or not branches:
            self.schema("The field 'Branches' must be a non-empty array", f"{at}/Branches")
            return
        for i, branch in enumerate(branches):
            self.machine(branch, f"{at}/Branches/{i}", language)

    def state_map(self, state, at, language, siblings):
        key = "ItemProcessor" if "ItemProcessor" in state else "Iterator" if "Iterator" in state else None
        if key is None:
            self.schema("These fields are required: [ItemProcessor]", at)
        else:
            processor = state[key]
            self.machine(processor, f"{at}/{key}", language)
            config = processor.get("ProcessorConfig") if isinstance(processor, dict) else None
            if isinstance(config, dict) and config.get("Mode", "INLINE") not in ("INLINE", "DISTRIBUTED"):
                self.schema("The value for the field 'Mode' must be one of [INLINE, DISTRIBUTED]",
                            f"{at}/{key}/ProcessorConfig/Mode")
        self.exclusive(state, at, "MaxConcurrency", "MaxConcurrencyPath")
        if "MaxConcurrency" in state and not jsonata.is_expression(state["MaxConcurrency"]) and not (
                _int(state["MaxConcurrency"]) and state["MaxConcurrency"] >= 0):
            self.schema("The value for the field 'MaxConcurrency' must be a non-negative integer",
                        f"{at}/MaxConcurrency")
        if "ItemSelector" in state and "Parameters" in state:
            self.schema("Only one of the fields [ItemSelector, Parameters] can be present", at)

    def exclusive(self, state, at, a, b):
        if a in state and b in state:
            self.schema(f"Only one of the fields [{a}, {b}] can be present", at)

    # -- Retry and Catch -----------------------------------------------------------

    def error_equals(self, entry, at, *, last: bool):
        names = entry.get("ErrorEquals")
        if "ErrorEquals" not in entry:
            self.schema("These fields are required: [ErrorEquals]", at)
            return
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            self.schema("The field 'ErrorEquals' must be a non-empty array of strings", f"{at}/ErrorEquals")
            return
        if "States.ALL" in names:
            if len(names) != 1:
                self.schema("The value 'States.ALL' must appear alone in 'ErrorEquals'", f"{at}/ErrorEquals")
            elif not last:
                self.schema("The value 'States.ALL' must appear in the last retrier or catcher",
                            f"{at}/ErrorEquals")

    def retry(self, retriers, at):
        if not isinstance(retriers, list):
            self.schema("The field 'Retry' must be an array", at)
            return
        for i, retrier in enumerate(retriers):
            where = f"{at}/{i}"
            if not isinstance(retrier, dict):
                self.schema("A retrier must be a JSON object", where)
                continue
            self.only(retrier, where, _RETRY_FIELDS)
            self.error_equals(retrier, where, last=i == len(retriers) - 1)
            if "IntervalSeconds" in retrier and not _positive_int(retrier["IntervalSeconds"]):
                self.schema("The value for the field 'IntervalSeconds' must be a positive integer",
                            f"{where}/IntervalSeconds")
            if "MaxAttempts" in retrier and not (_int(retrier["MaxAttempts"]) and retrier["MaxAttempts"] >= 0):
                self.schema("The value for the field 'MaxAttempts' must be a non-negative integer",
                            f"{where}/MaxAttempts")
            rate = retrier.get("BackoffRate", 2.0)
            if isinstance(rate, bool) or not isinstance(rate, (int, float)) or rate < 1.0:
                self.schema("The value for the field 'BackoffRate' must be a number greater than or equal to 1.0",
                            f"{where}/BackoffRate")
            if "MaxDelaySeconds" in retrier and not _positive_int(retrier["MaxDelaySeconds"]):
                self.schema("The value for the field 'MaxDelaySeconds' must be a positive integer",
                            f"{where}/MaxDelaySeconds")
            if retrier.get("JitterStrategy", "NONE") not in ("FULL", "NONE"):
                self.schema("The value for the field 'JitterStrategy' must be one of [FULL, NONE]",
                            f"{where}/JitterStrategy")

    def catch(self, catchers, at, language, siblings):
        if not isinstance(catchers, list):
            self.schema("The field 'Catch' must be an array", at)
            return
        for i, catcher in enumerate(catchers):
            where = f"{at}/{i}"
            if not isinstance(catcher, dict):
                self.schema("A catcher must be a JSON object", where)
                continue
            self.only(catcher, where, _CATCH_FIELDS[language])
            self.error_equals(catcher, where, last=i == len(catchers) - 1)
            if "Next" not in catcher:
                self.schema("These fields are required: [Next]", where)
            elif catcher["Next"] not in siblings:
                self.add("MISSING_TRANSITION_TARGET", f"Missing 'Next' target: {catcher['Next']}", f"{where}/Next")
            if language == JSONATA:
                for key in ("Output", "Assign"):
                    if key in catcher:
                        self.jsonata_template(catcher[key], f"{where}/{key}")
            else:
                if "ResultPath" in catcher:
                    self.result_path(catcher["ResultPath"], f"{where}/ResultPath")
                if "Assign" in catcher:
                    self.payload(catcher["Assign"], f"{where}/Assign", top=True, field="Assign")


def _transitions(state):
    """(next, is_end) pairs: where a state can go, and whether it can end its machine."""
    if not isinstance(state, dict):
        return []
    kind = state.get("Type")
    out = []
    if kind in ("Succeed", "Fail"):
        out.append((None, True))
    if state.get("End") is True:
        out.append((None, True))
    if isinstance(state.get("Next"), str):
        out.append((state["Next"], False))
    if kind == "Choice":
        for rule in state.get("Choices") or ():
            if isinstance(rule, dict) and isinstance(rule.get("Next"), str):
                out.append((rule["Next"], False))
        if isinstance(state.get("Default"), str):
            out.append((state["Default"], False))
    for catcher in state.get("Catch") or () if isinstance(state.get("Catch"), list) else ():
        if isinstance(catcher, dict) and isinstance(catcher.get("Next"), str):
            out.append((catcher["Next"], False))
    return out


def _int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _positive_int(value) -> bool:
    return _int(value) and value > 0


def diagnostics(definition_text) -> list[dict]:
    """Every problem in a definition, in ValidateStateMachineDefinition's shape."""
    return _check(definition_text)[1]


def _check(definition_text):
    """(the parsed definition or None, its diagnostics)."""
    if definition_text is None or not str(definition_text).strip():
        return None, [{"severity": ERROR, "code": "MISSING_DESCRIPTION",
                       "message": "Received a null or empty workflow input.", "location": "/"}]
    try:
        machine = json.loads(definition_text, object_pairs_hook=_no_duplicates)
    except _DuplicateKey as exc:
        if exc.is_state:
            return None, [{"severity": ERROR, "code": "DUPLICATE_STATE_NAME",
                           "message": f"Duplicate State name: {exc.key}", "location": "/"}]
        return None, [{"severity": ERROR, "code": "INVALID_JSON_DESCRIPTION",
                       "message": f"Duplicate field '{exc.key}'", "location": "/"}]
    except ValueError as exc:
        message = f"{exc.msg} at line {exc.lineno}, column {exc.colno}" if hasattr(exc, "msg") else str(exc)
        return None, [{"severity": ERROR, "code": "INVALID_JSON_DESCRIPTION", "message": message, "location": "/"}]
    checker = _Checker()
    checker.machine(machine, "", JSONPATH, top=True)
    for entry in checker.found:
        entry["location"] = entry["location"] or "/"
    # Errors first, as a reader wants them.
    checker.found.sort(key=lambda d: d["severity"] != ERROR)
    return machine, checker.found


def validate(definition_text: str) -> dict:
    """The parsed definition, or InvalidDefinition naming every error AWS-style."""
    machine, found = _check(definition_text)
    errors = [d for d in found if d["severity"] == ERROR]
    if errors:
        detail = ", ".join(f"{d['code']}: {d['message']} at {d['location']}" for d in errors)
        raise ServiceError("InvalidDefinition", f"Invalid State Machine Definition: '{detail}'", 400)
    return machine
