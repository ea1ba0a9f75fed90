"""The Amazon States Language: definition validation and the data flow of states.

The Step Functions provider parses a definition with ``validate`` and, as an
execution runs, asks this package what a state's input, output, variables, next
state, wait, retry delay and catcher are. Run-time failures are ``StatesError``.
"""
from .choice import choose, choose_rule
from .dataflow import (
    StateIO, catch, catcher_assign, choice_outcome, catcher_output, error_and_cause, heartbeat_seconds, items,
    max_concurrency, retry_delay, timeout_seconds, wait_until,
)
from .errors import StatesError, check_size
from .validate import diagnostics, validate

__all__ = [
    "StateIO", "StatesError", "catch", "catcher_assign", "catcher_output", "check_size", "choice_outcome", "choose",
    "choose_rule", "diagnostics", "error_and_cause", "heartbeat_seconds", "items", "max_concurrency",
    "retry_delay", "timeout_seconds", "validate", "wait_until",
]
