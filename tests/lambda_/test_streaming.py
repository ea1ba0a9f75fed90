"""InvokeWithResponseStream: an event stream botocore reads (PayloadChunk events,
then InvokeComplete), from a Node.js handler wrapped in awslambda.streamifyResponse
(chunks as it writes them) and from a Python handler (its answer as one chunk)."""
from __future__ import annotations

import base64
import json
import shutil
import time

import pytest

from .conftest import code, error_of

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="no node on this machine")

STREAMER = """
exports.handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  responseStream.setContentType("text/plain");
  for (let i = 0; i < event.parts; i++) {
    responseStream.write(`part ${i};`);
    await new Promise((r) => setTimeout(r, event.pause || 0));
  }
  if (event.fail) throw new Error("broke after writing");
  responseStream.end();
});
"""


def read_stream(out) -> tuple[list[bytes], dict]:
    chunks, complete = [], None
    for event in out["EventStream"]:
        if "PayloadChunk" in event:
            chunks.append(event["PayloadChunk"]["Payload"])
        elif "InvokeComplete" in event:
            complete = event["InvokeComplete"]
    assert complete is not None, "the stream ended without InvokeComplete"
    return chunks, complete


def test_python_answer_is_one_chunk(lam, make_function):
    make_function("py-stream", {"app.py": "def handler(event, context):\n    return {'got': event}\n"})
    out = lam.invoke_with_response_stream(FunctionName="py-stream", Payload=json.dumps({"a": 1}))
    assert out["StatusCode"] == 200
    assert out["ExecutedVersion"] == "$LATEST"
    assert out["ResponseStreamContentType"] == "application/json"
    chunks, complete = read_stream(out)
    assert len(chunks) == 1 and json.loads(chunks[0]) == {"got": {"a": 1}}
    assert "ErrorCode" not in complete


def test_python_error_and_tail_in_invoke_complete(lam, make_function):
    make_function("py-fail", {"app.py": "def handler(event, context):\n    print('about to fail')\n"
                                        "    raise ValueError('no good')\n"})
    out = lam.invoke_with_response_stream(FunctionName="py-fail", Payload=b"{}", LogType="Tail")
    chunks, complete = read_stream(out)
    assert chunks == []
    assert complete["ErrorCode"] == "ValueError"
    assert complete["ErrorDetails"] == "no good"
    log = base64.b64decode(complete["LogResult"]).decode()
    assert "about to fail" in log and "REPORT RequestId:" in log


@needs_node
def test_node_streams_chunks_as_written(lam, make_function):
    make_function("node-stream", {"index.js": STREAMER}, handler="index.handler", runtime="nodejs20.x")
    out = lam.invoke_with_response_stream(FunctionName="node-stream",
                                          Payload=json.dumps({"parts": 4, "pause": 150}))
    assert out["ResponseStreamContentType"] == "text/plain"
    stream = out["EventStream"]
    started = time.monotonic()
    first = next(iter(stream))
    # The first part arrives while the function is still writing the others.
    assert time.monotonic() - started < 0.45
    assert first["PayloadChunk"]["Payload"] == b"part 0;"
    chunks, complete = read_stream(out)
    assert b"".join([first["PayloadChunk"]["Payload"]] + chunks) == b"part 0;part 1;part 2;part 3;"
    assert len(chunks) >= 2
    assert "ErrorCode" not in complete


@needs_node
def test_node_stream_error_after_writing(lam, make_function):
    make_function("node-stream-fail", {"index.js": STREAMER}, handler="index.handler", runtime="nodejs20.x")
    out = lam.invoke_with_response_stream(FunctionName="node-stream-fail",
                                          Payload=json.dumps({"parts": 2, "fail": True}))
    chunks, complete = read_stream(out)
    assert b"".join(chunks) == b"part 0;part 1;"
    assert complete["ErrorCode"] == "Error"
    assert complete["ErrorDetails"] == "broke after writing"


@needs_node
def test_buffered_invoke_of_a_streaming_function_gets_the_whole_body(lam, make_function):
    make_function("node-stream-buffered", {"index.js": STREAMER}, handler="index.handler", runtime="nodejs20.x")
    out = lam.invoke(FunctionName="node-stream-buffered", Payload=json.dumps({"parts": 3}))
    assert "FunctionError" not in out
    assert out["Payload"].read() == b"part 0;part 1;part 2;"


def test_errors_come_before_the_stream(lam, make_function):
    e = error_of(lam.invoke_with_response_stream, FunctionName="nowhere", Payload=b"{}")
    assert code(e) == "ResourceNotFoundException"
    make_function("py-dry", {"app.py": "def handler(event, context):\n    return 1\n"})
    e = error_of(lam.invoke_with_response_stream, FunctionName="py-dry", Payload=b"{not json")
    assert code(e) == "InvalidRequestContentException"
    out = lam.invoke_with_response_stream(FunctionName="py-dry", Payload=b"{}", InvocationType="DryRun")
    assert out["StatusCode"] == 204


def test_client_context_reaches_the_function(lam, make_function):
    make_function("py-context", {"app.py": "def handler(event, context):\n"
                                           "    return context.client_context.custom\n"})
    context = base64.b64encode(json.dumps({"custom": {"who": "streamer"}}).encode()).decode()
    out = lam.invoke_with_response_stream(FunctionName="py-context", Payload=b"{}", ClientContext=context)
    chunks, complete = read_stream(out)
    assert json.loads(b"".join(chunks)) == {"who": "streamer"} and "ErrorCode" not in complete
