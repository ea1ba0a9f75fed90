"""Invoke (RequestResponse): real processes behind the Runtime API, for Python,
Node.js and a provided.al2023 shell bootstrap."""
from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from .conftest import ACCOUNT, code, error_of

COUNTER = """
import os
count = 0
pid = os.getpid()

def handler(event, context):
    global count
    count += 1
    print("event", json_dump(event))
    return {"count": count, "pid": pid, "event": event}

def json_dump(e):
    import json
    return json.dumps(e)
"""


def invoke(lam, name, payload=None, **kwargs):
    out = lam.invoke(FunctionName=name, Payload=json.dumps(payload if payload is not None else {}), **kwargs)
    body = out["Payload"].read()
    return out, json.loads(body) if body else None


def test_python_handler_warm_reuse_and_tail(lam, make_function):
    make_function("counter", {"app.py": COUNTER})
    out, first = invoke(lam, "counter", {"n": 1}, LogType="Tail")
    assert out["StatusCode"] == 200 and "FunctionError" not in out
    assert out["ExecutedVersion"] == "$LATEST"
    assert first["count"] == 1 and first["event"] == {"n": 1}
    tail = base64.b64decode(out["LogResult"]).decode()
    assert tail.startswith("START RequestId: ") and "Version: $LATEST" in tail
    assert 'event {"n": 1}' in tail
    assert "END RequestId: " in tail
    assert "REPORT RequestId: " in tail and "Billed Duration: " in tail and "Memory Size: 128 MB" in tail
    assert "Init Duration: " in tail  # a cold start
    # The same process answers again: module state survives between invocations.
    out, second = invoke(lam, "counter", {"n": 2}, LogType="Tail")
    assert second["count"] == 2 and second["pid"] == first["pid"]
    assert "Init Duration" not in base64.b64decode(out["LogResult"]).decode()


def test_context_and_environment(lam, make_function):
    source = """
import os, tempfile
def handler(event, context):
    names = ["AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
             "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "_HANDLER", "AWS_REGION",
             "AWS_DEFAULT_REGION", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "AWS_LAMBDA_RUNTIME_API", "TZ",
             "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "GREETING"]
    return {
        "env": {n: os.environ.get(n) for n in names},
        "tmp": tempfile.gettempdir(),
        "cwd": os.getcwd(),
        "ctx": {"id": context.aws_request_id, "name": context.function_name,
                "version": context.function_version, "arn": context.invoked_function_arn,
                "memory": context.memory_limit_in_mb, "remaining": context.get_remaining_time_in_millis(),
                "group": context.log_group_name, "stream": context.log_stream_name},
    }
"""
    make_function("ctx", {"app.py": source}, MemorySize=256, Timeout=7,
                  Environment={"Variables": {"GREETING": "hello"}})
    out, doc = invoke(lam, "ctx")
    env, ctx = doc["env"], doc["ctx"]
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "ctx" and env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/ctx"
    assert env["AWS_LAMBDA_LOG_STREAM_NAME"].split("]")[0].endswith("[$LATEST")
    assert len(env["AWS_LAMBDA_LOG_STREAM_NAME"].split("]")[1]) == 32
    assert env["_HANDLER"] == "app.handler" and env["AWS_REGION"] == "us-east-1" == env["AWS_DEFAULT_REGION"]
    assert env["TZ"] == ":UTC" and env["GREETING"] == "hello"
    assert env["AWS_ACCESS_KEY_ID"] == ACCOUNT and env["AWS_SECRET_ACCESS_KEY"] == "test"
    assert env["AWS_SESSION_TOKEN"] and env["AWS_ENDPOINT_URL"].startswith("http://")
    assert env["LAMBDA_TASK_ROOT"] == doc["cwd"] and env["AWS_LAMBDA_RUNTIME_API"].startswith("127.0.0.1:")
    assert doc["tmp"] != "/tmp"  # a private TMPDIR
    assert ctx["name"] == "ctx" and ctx["version"] == "$LATEST" and ctx["memory"] == "256"
    assert ctx["arn"] == f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:ctx"
    assert 5000 < ctx["remaining"] <= 7000
    assert ctx["group"] == "/aws/lambda/ctx" and ctx["stream"] == env["AWS_LAMBDA_LOG_STREAM_NAME"]


def test_handler_error_is_a_200_with_function_error(lam, make_function):
    source = "def handler(event, context):\n    raise ValueError('bad input: ' + event['x'])\n"
    make_function("fails", {"app.py": source})
    out, doc = invoke(lam, "fails", {"x": "nope"}, LogType="Tail")
    assert out["StatusCode"] == 200 and out["FunctionError"] == "Unhandled"
    assert doc["errorType"] == "ValueError" and doc["errorMessage"] == "bad input: nope"
    assert isinstance(doc["stackTrace"], list) and any("app.py" in line for line in doc["stackTrace"])
    assert "ValueError" in base64.b64decode(out["LogResult"]).decode()
    # The environment survives a handler error.
    out, doc = invoke(lam, "fails", {"x": "again"})
    assert doc["errorMessage"] == "bad input: again"


@pytest.mark.parametrize("files,handler,kind,fragment", [
    ({"app.py": "x = 1\n"}, "missing.handler", "Runtime.ImportModuleError", "Unable to import module 'missing'"),
    ({"app.py": "x = 1\n"}, "app.handler", "Runtime.HandlerNotFound", "Handler 'handler' missing on module 'app'"),
    ({"app.py": "def handler(:\n"}, "app.handler", "Runtime.UserCodeSyntaxError", "Syntax error in module 'app'"),
])
def test_init_errors(lam, make_function, files, handler, kind, fragment):
    make_function("broken", files, handler=handler)
    out, doc = invoke(lam, "broken")
    assert out["StatusCode"] == 200 and out["FunctionError"] == "Unhandled"
    assert doc["errorType"] == kind and fragment in doc["errorMessage"]


def test_timeout_kills_and_replaces_the_process(lam, make_function):
    source = """
import os, time
def handler(event, context):
    if event.get("sleep"):
        print("going to sleep")
        time.sleep(event["sleep"])
    return os.getpid()
"""
    make_function("slow", {"app.py": source}, Timeout=1)
    _, pid = invoke(lam, "slow")
    started = time.monotonic()
    out, doc = invoke(lam, "slow", {"sleep": 2}, LogType="Tail")
    assert time.monotonic() - started < 1.9
    assert out["FunctionError"] == "Unhandled"
    assert doc["errorType"] == "Sandbox.Timedout"
    assert doc["errorMessage"].endswith("Task timed out after 1.00 seconds")
    log = base64.b64decode(out["LogResult"]).decode()
    assert "going to sleep" in log and "Task timed out after 1.00 seconds" in log
    _, new_pid = invoke(lam, "slow")
    assert new_pid != pid  # a fresh environment


def test_function_calls_back_into_nubis(lam, make_function, aws_client):
    sqs = aws_client("sqs")
    url = sqs.create_queue(QueueName="from-lambda")["QueueUrl"]
    source = """
import boto3
def handler(event, context):
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=event["url"], MessageBody="sent by " + context.function_name)
    return "ok"
"""
    make_function("caller", {"app.py": source}, Timeout=30)
    out, doc = invoke(lam, "caller", {"url": url})
    assert "FunctionError" not in out, doc
    messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
    assert messages[0]["Body"] == "sent by caller"


def test_invalid_payload_and_too_large(lam, make_function):
    make_function("echo", {"app.py": "def handler(e, c):\n    return e\n"})
    e = error_of(lam.invoke, FunctionName="echo", Payload=b"{not json")
    assert code(e) == "InvalidRequestContentException"
    e = error_of(lam.invoke, FunctionName="echo", Payload=b'"' + b"x" * (6 * 1024 * 1024) + b'"')
    assert code(e) == "RequestTooLargeException" and e.response["ResponseMetadata"]["HTTPStatusCode"] == 413


def test_client_context_reaches_the_function(lam, make_function):
    source = ("def handler(e, c):\n    cc = c.client_context\n"
              "    return [cc.custom, cc.env, cc.client.app_title, c.identity.cognito_identity_id]\n")
    make_function("cc", {"app.py": source})
    context = {"custom": {"k": "v"}, "env": {"platform": "test"}, "client": {"app_title": "app"}}
    _, doc = invoke(lam, "cc", ClientContext=base64.b64encode(json.dumps(context).encode()).decode())
    assert doc == [{"k": "v"}, {"platform": "test"}, "app", None]


needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")


@needs_node
def test_node_async_handler(lam, make_function):
    source = """
let count = 0;
exports.handler = async (event, context) => {
  count += 1;
  console.log("got", JSON.stringify(event));
  return { count, name: context.functionName, id: context.awsRequestId, left: context.getRemainingTimeInMillis() };
};
"""
    make_function("node-fn", {"index.js": source}, handler="index.handler", runtime="nodejs20.x")
    out, doc = invoke(lam, "node-fn", {"a": 1}, LogType="Tail")
    assert "FunctionError" not in out, doc
    assert doc["count"] == 1 and doc["name"] == "node-fn" and doc["left"] > 0
    assert 'got {"a":1}' in base64.b64decode(out["LogResult"]).decode()
    _, doc = invoke(lam, "node-fn")
    assert doc["count"] == 2


@needs_node
def test_node_callback_esm_and_errors(lam, make_function):
    make_function("node-cb", {"index.js": "exports.handler = (event, context, callback) => "
                                          "{ setTimeout(() => callback(null, {doubled: event.n * 2}), 5); };"},
                  handler="index.handler", runtime="nodejs22.x")
    assert invoke(lam, "node-cb", {"n": 21})[1] == {"doubled": 42}
    make_function("node-esm", {"app.mjs": "export const handler = async (e) => ({esm: true, e});"},
                  handler="app.handler", runtime="nodejs20.x")
    assert invoke(lam, "node-esm", {"x": 1})[1] == {"esm": True, "e": {"x": 1}}
    make_function("node-err", {"index.js": "exports.handler = async () => { throw new TypeError('nope'); };"},
                  handler="index.handler", runtime="nodejs20.x")
    out, doc = invoke(lam, "node-err")
    assert out["FunctionError"] == "Unhandled"
    assert doc["errorType"] == "TypeError" and doc["errorMessage"] == "nope" and isinstance(doc["trace"], list)
    make_function("node-missing", {"index.js": "exports.other = 1;"}, handler="index.handler",
                  runtime="nodejs20.x")
    out, doc = invoke(lam, "node-missing")
    assert doc["errorType"] == "Runtime.HandlerNotFound"


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_provided_al2023_shell_bootstrap(lam, make_function):
    bootstrap = """#!/bin/sh
set -eu
while true; do
  HEADERS="$(mktemp)"
  EVENT=$(curl -sS -LD "$HEADERS" "http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/next")
  ID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)
  echo "handling $ID"
  curl -sS -X POST "http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/$ID/response" \\
       -d "{\\"echo\\": $EVENT, \\"handler\\": \\"$_HANDLER\\"}" > /dev/null
done
"""
    make_function("shell", {"bootstrap": bootstrap}, handler="function.handler", runtime="provided.al2023",
                  modes={"bootstrap": 0o755})
    out, doc = invoke(lam, "shell", {"k": "v"}, LogType="Tail")
    assert "FunctionError" not in out, doc
    assert doc == {"echo": {"k": "v"}, "handler": "function.handler"}
    assert "handling " in base64.b64decode(out["LogResult"]).decode()
    assert invoke(lam, "shell", [1, 2])[1]["echo"] == [1, 2]


def test_provided_without_bootstrap(lam, make_function):
    make_function("no-boot", {"readme.txt": "nothing"}, handler="x", runtime="provided.al2")
    out, doc = invoke(lam, "no-boot")
    assert out["FunctionError"] == "Unhandled" and doc["errorType"] == "Runtime.InvalidEntrypoint"


def test_logs_reach_cloudwatch_logs(lam, make_function, aws_client):
    make_function("logged", {"app.py": "def handler(e, c):\n    print('line one')\n    return 1\n"})
    out, _ = invoke(lam, "logged")
    logs = aws_client("logs")
    deadline = time.monotonic() + 5
    messages = []
    while time.monotonic() < deadline:
        try:
            events = logs.filter_log_events(logGroupName="/aws/lambda/logged")["events"]
        except logs.exceptions.ResourceNotFoundException:
            events = []
        messages = [e["message"] for e in events]
        if any(m.startswith("REPORT") for m in messages):
            break
        time.sleep(0.05)
    assert messages[0].startswith("START RequestId:")
    assert "line one" in messages
    assert messages[-2].startswith("END RequestId:") and messages[-1].startswith("REPORT RequestId:")
    streams = logs.describe_log_streams(logGroupName="/aws/lambda/logged")["logStreams"]
    assert len(streams) == 1 and "/[$LATEST]" in streams[0]["logStreamName"]


def test_process_exit_and_unserializable_result(lam, make_function):
    source = """
import os
def handler(event, context):
    if event.get("exit"):
        os._exit(3)
    return object()
"""
    make_function("odd", {"app.py": source})
    out, doc = invoke(lam, "odd", {"exit": True})
    assert out["FunctionError"] == "Unhandled"
    assert doc["errorType"] == "Runtime.ExitError"
    assert doc["errorMessage"].endswith("Runtime exited with error: exit status 3")
    out, doc = invoke(lam, "odd")  # a new environment; the result cannot be JSON
    assert out["FunctionError"] == "Unhandled"
    assert doc["errorType"] == "Runtime.MarshalError" and "Unable to marshal response" in doc["errorMessage"]


def test_aws_cli_invoke(lam, make_function, nubis, tmp_path):
    make_function("cli", {"app.py": "def handler(e, c):\n    return {'got': e}\n"})
    env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1")
    env.pop("AWS_PROFILE", None)
    out_file = tmp_path / "out.json"
    run = subprocess.run([sys.executable, "-m", "awscli", "lambda", "invoke", "--function-name", "cli",
                          "--payload", '{"a": 1}',
                          "--endpoint-url", nubis.endpoint, str(out_file)],
                         capture_output=True, text=True, env=env, timeout=60)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["StatusCode"] == 200
    assert json.loads(out_file.read_text()) == {"got": {"a": 1}}


def _tail(out) -> list[str]:
    return base64.b64decode(out["LogResult"]).decode().splitlines()


def test_json_log_format(lam, make_function):
    source = """
import logging
log = logging.getLogger("app")
def handler(e, c):
    log.info("quiet")
    log.warning("loud %s", 1)
    print("plain print")
    return 1
"""
    make_function("json-logs", {"app.py": source},
                  LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "WARN"})
    cfg = lam.get_function_configuration(FunctionName="json-logs")["LoggingConfig"]
    assert cfg == {"LogFormat": "JSON", "ApplicationLogLevel": "WARN", "SystemLogLevel": "INFO",
                   "LogGroup": "/aws/lambda/json-logs"}
    out = lam.invoke(FunctionName="json-logs", LogType="Tail")
    lines = _tail(out)
    start, report = json.loads(lines[0]), json.loads(lines[-1])
    assert start["type"] == "platform.start" and start["record"]["version"] == "$LATEST"
    request_id = start["record"]["requestId"]
    assert report["type"] == "platform.report" and report["record"]["status"] == "success"
    assert report["record"]["metrics"]["memorySizeMB"] == 128 and "initDurationMs" in report["record"]["metrics"]
    app = [json.loads(line) for line in lines if line.startswith('{"timestamp"')]
    assert [(a["level"], a["message"], a["logger"], a["requestId"]) for a in app] == \
        [("WARNING", "loud 1", "app", request_id)]
    assert "plain print" in lines
    e = error_of(lam.update_function_configuration, FunctionName="json-logs", LoggingConfig={"LogFormat": "XML"})
    assert code(e) == "ValidationException"


@needs_node
def test_node_json_log_format(lam, make_function):
    make_function("node-json", {"index.js": "exports.handler = async () => { console.debug('hidden'); "
                                            "console.warn('shown'); return 1; };"},
                  handler="index.handler", runtime="nodejs20.x", LoggingConfig={"LogFormat": "JSON"})
    lines = _tail(lam.invoke(FunctionName="node-json", LogType="Tail"))
    app = [json.loads(line) for line in lines if line.startswith('{"timestamp"')]
    assert [(a["level"], a["message"]) for a in app] == [("WARN", "shown")]


def test_bootstrap_that_exits_before_asking_for_an_event(lam, make_function):
    make_function("quitter", {"bootstrap": "#!/bin/sh\necho giving up\n"}, handler="x",
                  runtime="provided.al2023", modes={"bootstrap": 0o755})
    out, doc = invoke(lam, "quitter", LogType="Tail")
    assert out["FunctionError"] == "Unhandled" and doc["errorType"] == "Runtime.ExitError"
    assert doc["errorMessage"].endswith("Error: Runtime exited without providing a reason")
    assert "giving up" in base64.b64decode(out["LogResult"]).decode()
