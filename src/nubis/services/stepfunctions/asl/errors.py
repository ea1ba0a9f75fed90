"""The errors a state raises at run time (the States.* names of the error-handling guide)."""
from __future__ import annotations

import json

ALL = "States.ALL"
TASK_FAILED = "States.TaskFailed"
TIMEOUT = "States.Timeout"
HEARTBEAT_TIMEOUT = "States.HeartbeatTimeout"
RUNTIME = "States.Runtime"
DATA_LIMIT_EXCEEDED = "States.DataLimitExceeded"
INTRINSIC_FAILURE = "States.IntrinsicFailure"
QUERY_EVALUATION_ERROR = "States.QueryEvaluationError"
NO_CHOICE_MATCHED = "States.NoChoiceMatched"
PERMISSIONS = "States.Permissions"
BRANCH_FAILED = "States.BranchFailed"
RESULT_PATH_MATCH_FAILURE = "States.ResultPathMatchFailure"
PARAMETER_PATH_FAILURE = "States.ParameterPathFailure"
ITEM_READER_FAILED = "States.ItemReaderFailed"
EXCEED_TOLERATED_FAILURE_THRESHOLD = "States.ExceedToleratedFailureThreshold"

# Neither States.ALL nor States.TaskFailed catches these: they end the execution.
TERMINAL = frozenset({RUNTIME, DATA_LIMIT_EXCEEDED})

# Step Functions' payload quota (input, output, result, variables of one state).
PAYLOAD_LIMIT = 256 * 1024


class StatesError(Exception):
    """A state failed with ``error`` and ``cause``; Retry and Catch see these names."""

    def __init__(self, error: str, cause: str = ""):
        super().__init__(f"{error}: {cause}")
        self.error = error
        self.cause = cause


def to_json(value) -> str:
    """JSON as Step Functions prints it in causes and outputs: compact, non-ASCII kept."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def check_size(value, what: str = "state output") -> None:
    """Raise States.DataLimitExceeded when ``value`` as JSON is over the 256 KiB quota."""
    size = len(to_json(value).encode())
    if size > PAYLOAD_LIMIT:
        raise StatesError(
            DATA_LIMIT_EXCEEDED,
            f"The {what} of size {size} bytes exceeds the maximum number of bytes service limit.")
