"""The Amazon States Language as the executor sees it: the ``asl`` package
(validation and data flow), behind one small function per question, so the
executor depends on its interface only."""
from __future__ import annotations

from . import asl
from .asl import StatesError  # noqa: F401  (re-exported for the executor)

validate = asl.validate
diagnostics = asl.diagnostics


def state_io(state: dict, query_language: str):
    return asl.StateIO(state, query_language)


def item_input(state: dict, query_language: str, raw_input, item, context, variables):
    return asl.StateIO(state, query_language).item_input(raw_input, item, context, variables)


def choose_rule(state: dict, data, context, variables, query_language: str) -> dict | None:
    return asl.choose_rule(state, data, context, variables, query_language)


def wait_until(state: dict, data, context, variables, now: float, query_language: str) -> float:
    return asl.wait_until(state, data, context, variables, now, query_language)


def retry_delay(retriers: list, error: str, attempts: dict, rand) -> tuple[float | None, dict]:
    return asl.retry_delay(retriers, error, attempts, rand)


def catch(catchers: list, error: str) -> dict | None:
    return asl.catch(catchers, error)


def catcher_output(catcher: dict, query_language: str, raw_input, error: str, cause: str, context, variables):
    return asl.catcher_output(catcher, query_language, raw_input, error, cause, context, variables)


def catcher_assign(catcher: dict, query_language: str, raw_input, error: str, cause: str, context, variables):
    return asl.catcher_assign(catcher, query_language, raw_input, error, cause, context, variables)


def timeout_seconds(state: dict, data, context, variables, query_language: str) -> float | None:
    return asl.timeout_seconds(state, data, context, variables, query_language)


def heartbeat_seconds(state: dict, data, context, variables, query_language: str) -> float | None:
    return asl.heartbeat_seconds(state, data, context, variables, query_language)


def max_concurrency(state: dict, data, context, variables, query_language: str) -> int:
    return asl.max_concurrency(state, data, context, variables, query_language)


def items(state: dict, data, context, variables, query_language: str) -> list:
    return asl.items(state, data, context, variables, query_language)


def error_and_cause(state: dict, data, context, variables, query_language: str):
    return asl.error_and_cause(state, data, context, variables, query_language)
