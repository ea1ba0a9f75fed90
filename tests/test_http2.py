"""HTTP/2 cleartext with prior knowledge, beside HTTP/1.1 on nubis's one port.

boto3 clients whose requests go over httpx's HTTP/2 (one connection, prior
knowledge), a raw h2 client for what httpx hides (the preface in pieces, small
windows, RST_STREAM, GOAWAY), and the AWS SDK for JavaScript v3 (its
NodeHttp2Handler, the default of its Kinesis client).
"""
from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlparse

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import h2.config
import h2.connection
import h2.events
import h2.settings
import httpx
import pytest

from nubis.gateway.http2 import GracefulStateMachine

JS_DIR = Path(__file__).resolve().parent / "js"
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


class _Raw:
    """What botocore reads a response body from, fed by httpx as frames arrive."""

    def __init__(self, response: httpx.Response, arrivals: list):
        self._chunks = response.iter_raw()
        self._buffer = b""
        self._arrivals = arrivals

    def stream(self, **_):
        if self._buffer:
            chunk, self._buffer = self._buffer, b""
            yield chunk
        for chunk in self._chunks:
            self._arrivals.append((time.monotonic(), chunk))
            yield chunk

    def read(self, amt=None):
        while amt is None or len(self._buffer) < amt:
            try:
                chunk = next(self._chunks)
            except StopIteration:
                break
            self._arrivals.append((time.monotonic(), chunk))
            self._buffer += chunk
        if amt is None:
            out, self._buffer = self._buffer, b""
        else:
            out, self._buffer = self._buffer[:amt], self._buffer[amt:]
        return out

    def close(self):
        pass


@pytest.fixture
def h2_client(nubis, aws_client):
    """h2_client("sqs") -> (a boto3 client whose requests go over one HTTP/2 connection,
    the HTTP versions its responses came in, the (time, bytes) pieces of bodies as they arrived)."""
    http = httpx.Client(http1=False, http2=True, timeout=60, limits=httpx.Limits(max_connections=1))
    versions: list[str] = []
    arrivals: list[tuple[float, bytes]] = []

    def make(service: str, **kwargs):
        client = aws_client(service, **kwargs)

        def send(request, **_):
            body = request.body
            if hasattr(body, "read"):
                body = body.read()
            response = http.send(http.build_request(request.method, request.url, headers=dict(request.headers.items()),
                                                    content=body or b""), stream=True)
            versions.append(response.http_version)
            return botocore.awsrequest.AWSResponse(request.url, response.status_code, dict(response.headers),
                                                   _Raw(response, arrivals))

        client.meta.events.register("before-send", send)
        return client, versions, arrivals

    yield make
    http.close()


def _signed(endpoint: str, service: str, target: str, doc: dict) -> tuple[str, dict, bytes]:
    """A SigV4-signed JSON-protocol request (what an SDK sends), for clients without botocore."""
    body = json.dumps(doc).encode()
    request = botocore.awsrequest.AWSRequest("POST", endpoint + "/", data=body, headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": target})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials("test", "test"), service, "us-east-1").add_auth(request)
    return endpoint + "/", dict(request.headers.items()), body


# boto3 over HTTP/2


def test_sts_and_sqs_over_h2(h2_client):
    sts, versions, _ = h2_client("sts")
    assert sts.get_caller_identity()["Account"] == "000000000000"
    sqs, _, _ = h2_client("sqs")
    url = sqs.create_queue(QueueName="over-h2")["QueueUrl"]
    sent = sqs.send_message(QueueUrl=url, MessageBody="hello over HTTP/2")
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
    assert [(m["MessageId"], m["Body"]) for m in got] == [(sent["MessageId"], "hello over HTTP/2")]
    assert versions and set(versions) == {"HTTP/2"}


def test_errors_over_h2(h2_client):
    sqs, versions, _ = h2_client("sqs")
    with pytest.raises(sqs.exceptions.QueueDoesNotExist) as info:
        sqs.get_queue_url(QueueName="nowhere")
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert versions == ["HTTP/2"]


def test_s3_five_mib_each_way_through_flow_control(h2_client):
    # 5 MiB is more than either side's initial window: the upload is read as
    # WINDOW_UPDATEs hand space back, the download waits for the client's.
    s3, versions, _ = h2_client("s3")
    data = os.urandom(5 * 1024 * 1024)
    s3.create_bucket(Bucket="h2-bucket")
    put = s3.put_object(Bucket="h2-bucket", Key="big.bin", Body=data)
    got = s3.get_object(Bucket="h2-bucket", Key="big.bin")
    assert got["ETag"] == put["ETag"]
    assert got["ContentLength"] == len(data)
    assert got["Body"].read() == data
    head = s3.head_object(Bucket="h2-bucket", Key="big.bin")
    assert head["ContentLength"] == len(data)
    assert set(versions) == {"HTTP/2"}


def test_lambda_response_stream_arrives_frame_by_frame(h2_client, aws_client):
    import shutil
    import io
    import zipfile

    if shutil.which("node") is None:
        pytest.skip("no node on this machine")
    streamer = ("exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {\n"
                "  for (let i = 0; i < 4; i++) {\n"
                "    responseStream.write(`part ${i};`);\n"
                "    await new Promise((r) => setTimeout(r, 300));\n"
                "  }\n"
                "  responseStream.end();\n"
                "});\n")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("index.js", streamer)
    aws_client("lambda").create_function(FunctionName="h2-stream", Runtime="nodejs20.x", Handler="index.handler",
                                         Role="arn:aws:iam::000000000000:role/r", Code={"ZipFile": buf.getvalue()})
    lam, versions, arrivals = h2_client("lambda")
    out = lam.invoke_with_response_stream(FunctionName="h2-stream", Payload=b"{}")
    parts = [e["PayloadChunk"]["Payload"] for e in out["EventStream"] if "PayloadChunk" in e]
    assert b"".join(parts) == b"part 0;part 1;part 2;part 3;"
    assert versions[-1] == "HTTP/2"
    # Each part came in its own DATA frame, while the function was still writing the next.
    with_parts = [t for t, chunk in arrivals if b"part " in chunk]
    assert len(with_parts) >= 3
    assert with_parts[-1] - with_parts[0] > 0.5


# HTTP/1.1 beside it


def test_http1_still_served_on_the_same_port(nubis, aws_client):
    with httpx.Client(http2=False) as http1, httpx.Client(http1=False, http2=True) as http2:
        for _ in range(2):  # keep-alive: two requests on one HTTP/1.1 connection
            r = http1.get(nubis.endpoint + "/_nubis/health")
            assert (r.status_code, r.http_version) == (200, "HTTP/1.1")
        r = http2.get(nubis.endpoint + "/_nubis/health")
        assert (r.status_code, r.http_version) == (200, "HTTP/2")
        assert json.loads(r.content)["version"] == json.loads(http1.get(nubis.endpoint + "/_nubis/health").content)["version"]
    assert aws_client("sts").get_caller_identity()["Account"] == "000000000000"  # botocore: HTTP/1.1


def test_concurrent_streams_on_one_connection(nubis, aws_client):
    url = aws_client("sqs").create_queue(QueueName="multiplexed")["QueueUrl"]

    async def run():
        async with httpx.AsyncClient(http1=False, http2=True, timeout=30,
                                     limits=httpx.Limits(max_connections=1)) as http:
            async def call(target, doc):
                address, headers, body = _signed(nubis.endpoint, "sqs", "AmazonSQS." + target, doc)
                r = await http.post(address, headers=headers, content=body)
                assert r.http_version == "HTTP/2", r.http_version
                return r.status_code, json.loads(r.content)

            started = time.monotonic()
            # A long poll holds one stream open; the sends go on others of the same connection.
            poll = asyncio.create_task(call("ReceiveMessage", {"QueueUrl": url, "WaitTimeSeconds": 10,
                                                               "MaxNumberOfMessages": 1}))
            await asyncio.sleep(0.3)
            assert not poll.done()
            sends = await asyncio.gather(*(call("SendMessage", {"QueueUrl": url, "MessageBody": f"m{i}"})
                                           for i in range(20)))
            assert all(status == 200 for status, _ in sends)
            status, got = await poll
            assert status == 200 and got["Messages"][0]["Body"].startswith("m")
            assert time.monotonic() - started < 5
            return {doc["MessageId"] for _, doc in sends}

    ids = asyncio.run(run())
    assert len(ids) == 20


# A raw h2 client: what httpx hides


class RawH2:
    def __init__(self, endpoint: str, window: int | None = None):
        u = urlparse(endpoint)
        self.authority = f"{u.hostname}:{u.port}".encode()
        self.sock = socket.create_connection((u.hostname, u.port), timeout=10)
        config = h2.config.H2Configuration(client_side=True, header_encoding=None)
        self.conn = h2.connection.H2Connection(config)
        # Streams open when a GOAWAY passes may finish (RFC 9113, 6.8), which h2 alone does not allow.
        self.conn.state_machine = GracefulStateMachine()
        if window is not None:
            self.conn.local_settings = h2.settings.Settings(client=True, initial_values={
                h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: window})
        self.conn.initiate_connection()

    def flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def request(self, method: bytes, path: bytes, headers=(), body: bytes | None = None) -> int:
        sid = self.conn.get_next_available_stream_id()
        self.conn.send_headers(sid, [(b":method", method), (b":scheme", b"http"), (b":authority", self.authority),
                                     (b":path", path), *headers], end_stream=body is None)
        if body is not None:
            self.conn.send_data(sid, body, end_stream=True)
        self.flush()
        return sid

    def events(self) -> list:
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            return [None]
        if not data:
            return [None]
        out = self.conn.receive_data(data)
        self.flush()
        return out

    def response(self, sid: int, ack: bool = True) -> tuple[dict, bytes]:
        headers, body = None, b""
        while True:
            for e in self.events():
                if getattr(e, "stream_id", None) != sid:
                    continue
                if isinstance(e, h2.events.ResponseReceived):
                    headers = dict(e.headers)
                elif isinstance(e, h2.events.DataReceived):
                    body += e.data
                    if ack:
                        self.conn.acknowledge_received_data(e.flow_controlled_length, sid)
                        self.flush()
                elif isinstance(e, h2.events.StreamEnded):
                    return headers, body
                elif isinstance(e, h2.events.StreamReset):
                    raise AssertionError(f"stream {sid} reset: {e.error_code}")

    def close(self):
        self.sock.close()


@pytest.fixture
def raw_h2(nubis):
    opened = []

    def make(**kwargs) -> RawH2:
        c = RawH2(nubis.endpoint, **kwargs)
        opened.append(c)
        return c

    yield make
    for c in opened:
        c.close()


def test_preface_in_pieces_and_authority_as_host(nubis, raw_h2):
    c = raw_h2()
    first = c.conn.data_to_send()
    assert first.startswith(PREFACE)
    for piece in (first[:3], first[3:10], first[10:]):  # a client may write the preface a few bytes at a time
        c.sock.sendall(piece)
        time.sleep(0.05)
    sid = c.request(b"GET", b"/_nubis/health")
    headers, body = c.response(sid)
    assert headers[b":status"] == b"200"
    assert b"date" in headers and b"connection" not in headers
    assert json.loads(body)["version"]


def test_download_waits_for_the_clients_window(nubis, raw_h2, aws_client):
    s3 = aws_client("s3")
    s3.create_bucket(Bucket="windows")
    data = os.urandom(5000)
    s3.put_object(Bucket="windows", Key="k", Body=data)
    c = raw_h2(window=1000)
    c.flush()
    sid = c.request(b"GET", b"/windows/k")
    received, headers = b"", None
    c.sock.settimeout(0.5)
    try:
        while True:  # without WINDOW_UPDATEs the server may send 1000 bytes and no more
            for e in c.events():
                if isinstance(e, h2.events.ResponseReceived):
                    headers = dict(e.headers)
                elif isinstance(e, h2.events.DataReceived):
                    received += e.data
                assert not isinstance(e, h2.events.StreamEnded)
    except socket.timeout:
        pass
    assert headers[b":status"] == b"200" and headers[b"content-length"] == b"5000"
    assert received == data[:1000]
    c.sock.settimeout(10)
    c.conn.acknowledge_received_data(1000, sid)
    c.conn.increment_flow_control_window(100000, stream_id=sid)
    c.flush()
    _, rest = c.response(sid)
    assert received + rest == data


def test_reset_stream_leaves_the_connection_serving(nubis, raw_h2, aws_client):
    url = aws_client("sqs").create_queue(QueueName="reset-me")["QueueUrl"]
    c = raw_h2()
    address, headers, body = _signed(nubis.endpoint, "sqs", "AmazonSQS.ReceiveMessage",
                                     {"QueueUrl": url, "WaitTimeSeconds": 20})
    h = [(k.lower().encode(), v.encode()) for k, v in headers.items() if k.lower() != "host"]
    polling = c.request(b"POST", b"/", h, body)
    time.sleep(0.2)
    c.conn.reset_stream(polling)  # the client gives up on the long poll
    c.flush()
    sid = c.request(b"GET", b"/_nubis/health")
    headers, _ = c.response(sid)
    assert headers[b":status"] == b"200"
    # The reset stream's answer, when the poll ends, is not sent on the connection.
    aws_client("sqs").send_message(QueueUrl=url, MessageBody="ends the poll")
    sid = c.request(b"GET", b"/_nubis/health")
    headers, _ = c.response(sid)
    assert headers[b":status"] == b"200"


def test_protocol_error_is_goaway_and_close(nubis, raw_h2):
    c = raw_h2()
    c.flush()
    c.sock.sendall(b"\x00\x00\x01\x00\x00\x00\x00\x00\x00x")  # DATA on stream 0: a connection error
    events, closed = [], False
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not closed:
        for e in c.events():
            if e is None:
                closed = True
            else:
                events.append(e)
    assert closed
    goaway = [e for e in events if isinstance(e, h2.events.ConnectionTerminated)]
    assert goaway and goaway[0].error_code != 0


def _sqs_request(nubis, target: str, doc: dict) -> tuple[list, bytes]:
    _, headers, body = _signed(nubis.endpoint, "sqs", "AmazonSQS." + target, doc)
    return [(k.lower().encode(), v.encode()) for k, v in headers.items() if k.lower() != "host"], body


def _until_closed(c: RawH2) -> list:
    events = []
    c.sock.settimeout(10)
    while True:
        got = c.events()
        if got == [None]:
            return events
        events += got


def test_open_stream_finishes_after_the_clients_goaway(nubis, raw_h2, aws_client):
    # The JS SDK's Kinesis client closes its session (GOAWAY, no error) as soon as
    # response headers arrive, and reads the body on: open streams go on.
    sqs = aws_client("sqs")
    url = sqs.create_queue(QueueName="after-goaway")["QueueUrl"]
    c = raw_h2()
    polling = c.request(b"POST", b"/", *_sqs_request(nubis, "ReceiveMessage", {"QueueUrl": url, "WaitTimeSeconds": 10}))
    time.sleep(0.2)
    c.conn.close_connection()
    c.flush()
    time.sleep(0.2)
    sqs.send_message(QueueUrl=url, MessageBody="after goaway")
    events = _until_closed(c)  # the answer, then the server closes the connection
    body = b"".join(e.data for e in events if isinstance(e, h2.events.DataReceived) and e.stream_id == polling)
    assert [m["Body"] for m in json.loads(body)["Messages"]] == ["after goaway"]
    assert any(isinstance(e, h2.events.StreamEnded) and e.stream_id == polling for e in events)


def test_graceful_stop_sends_goaway_and_finishes_open_streams(server_process):
    server = server_process("--ephemeral")
    url = server.client("sqs").create_queue(QueueName="stopping")["QueueUrl"]

    class Endpoint:
        endpoint = server.endpoint

    c = RawH2(server.endpoint)
    try:
        polling = c.request(b"POST", b"/", *_sqs_request(Endpoint, "ReceiveMessage",
                                                          {"QueueUrl": url, "WaitTimeSeconds": 2}))
        time.sleep(0.3)
        server.proc.send_signal(signal.SIGTERM)
        events = _until_closed(c)
    finally:
        c.close()
    kinds = [type(e) for e in events]
    assert h2.events.ConnectionTerminated in kinds
    goaway = next(e for e in events if isinstance(e, h2.events.ConnectionTerminated))
    assert goaway.error_code == 0 and goaway.last_stream_id == polling
    # The long poll ran its course after the GOAWAY: an empty answer, not a reset.
    answer = [e for e in events if getattr(e, "stream_id", None) == polling]
    assert any(isinstance(e, h2.events.ResponseReceived) and dict(e.headers)[b":status"] == b"200" for e in answer)
    assert any(isinstance(e, h2.events.StreamEnded) for e in answer)
    assert kinds.index(h2.events.ConnectionTerminated) < kinds.index(h2.events.ResponseReceived)
    assert server.proc.wait(20) == 0


# The AWS SDK for JavaScript v3


def _run_js(node, nubis, script: str, **env) -> dict:
    out = subprocess.run([node, str(JS_DIR / script)], capture_output=True, text=True, cwd=JS_DIR, timeout=120,
                         env=dict(os.environ, NUBIS_ENDPOINT=nubis.endpoint, **env))
    assert out.returncode == 0, f"node {script} failed:\n{out.stderr}"
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_js_sdk_sqs_on_node_http2_handler(node, nubis):
    out = _run_js(node, nubis, "sqs_http2.mjs")
    assert out["protocols"] == ["h2c"]  # one cleartext HTTP/2 session for every call
    assert out["received"] == ["one", "three", "two"]
    assert out["error"] == "QueueDoesNotExist"


def test_js_sdk_kinesis_default_handler(node, nubis):
    try:
        __import__("nubis.services.kinesis.provider")
    except ImportError:
        pytest.skip("the kinesis provider has not landed")
    out = _run_js(node, nubis, "kinesis_http2.mjs")
    assert out["handler"] == "NodeHttp2Handler"
    # The Kinesis client turns off concurrent streams: a cleartext HTTP/2 session per call.
    assert out["protocols"] == ["h2c"] * out["calls"]
    assert out["records"] == ["first", "second"]


def test_js_sdk_kinesis_subscribe_to_shard(node, nubis):
    try:
        __import__("nubis.services.kinesis.provider")
    except ImportError:
        pytest.skip("the kinesis provider has not landed")
    out = _run_js(node, nubis, "kinesis_subscribe.mjs")
    assert out["protocols"] == ["h2c"]
    # The records there, then one put while the subscription was open, in a later event.
    assert out["records"] == ["before-1", "before-2", "during"]
    assert out["events"] == 2


def test_upgrade_h2c_from_http1(nubis):
    # RFC 7540 3.2: a request without a body asks with Upgrade: h2c; its answer comes on stream 1.
    c = RawH2.__new__(RawH2)
    u = urlparse(nubis.endpoint)
    c.authority = f"{u.hostname}:{u.port}".encode()
    c.sock = socket.create_connection((u.hostname, u.port), timeout=10)
    try:
        c.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding=None))
        settings = c.conn.initiate_upgrade_connection().rstrip(b"=")
        c.sock.sendall(b"GET /_nubis/health HTTP/1.1\r\nHost: " + c.authority + b"\r\nConnection: Upgrade, HTTP2-Settings"
                       b"\r\nUpgrade: h2c\r\nHTTP2-Settings: " + settings + b"\r\n\r\n")
        head = b""
        while b"\r\n\r\n" not in head:
            head += c.sock.recv(1)
        assert head.startswith(b"HTTP/1.1 101 ")
        assert b"upgrade: h2c" in head.lower()
        c.flush()  # the client's preface and settings, now in HTTP/2
        headers, body = c.response(1)
        assert headers[b":status"] == b"200" and json.loads(body)["version"]
        sid = c.request(b"GET", b"/_nubis/health")  # and the connection goes on in HTTP/2
        assert c.response(sid)[0][b":status"] == b"200"
    finally:
        c.sock.close()


def test_upgrade_h2c_with_a_body_is_not_upgraded(nubis):
    with httpx.Client() as http:
        r = http.post(nubis.endpoint + "/", content=b"Action=GetCallerIdentity&Version=2011-06-15",
                      headers={"Connection": "Upgrade, HTTP2-Settings", "Upgrade": "h2c", "HTTP2-Settings": "AAMAAABkAAQAAP__",
                               "Content-Type": "application/x-www-form-urlencoded",
                               "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sts/aws4_request, "
                                                "SignedHeaders=host, Signature=0"})
        # Not upgraded: an HTTP/1.1 answer (httptools hands no body of a request asking to upgrade,
        # so the action goes missing; the same without HTTP/2 in nubis).
        assert r.http_version == "HTTP/1.1" and r.status_code != 101


def test_expect_100_continue_gets_its_100(nubis, raw_h2, aws_client):
    aws_client("s3").create_bucket(Bucket="continued")
    c = raw_h2()
    sid = c.conn.get_next_available_stream_id()
    c.conn.send_headers(sid, [(b":method", b"PUT"), (b":scheme", b"http"), (b":authority", c.authority),
                              (b":path", b"/continued/k"), (b"content-length", b"5"), (b"expect", b"100-continue")])
    c.flush()
    informational = []
    while not informational:  # no body until the server asks for it
        informational = [e for e in c.events() if isinstance(e, h2.events.InformationalResponseReceived)]
    assert dict(informational[0].headers)[b":status"] == b"100"
    c.conn.send_data(sid, b"hello", end_stream=True)
    c.flush()
    headers, _ = c.response(sid)
    assert headers[b":status"] == b"200"
    assert aws_client("s3").get_object(Bucket="continued", Key="k")["Body"].read() == b"hello"


def test_js_sdk_s3_upload_on_node_http2_handler(node, nubis):
    out = _run_js(node, nubis, "s3_http2.mjs")
    assert out["protocols"] == ["h2c"]
    assert out["same"] is True
    # With the 100 sent, the SDK does not sit out its 6-second wait for it.
    assert out["expect"] == "100-continue"
    assert out["putMs"] < 3000
