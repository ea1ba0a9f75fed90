"""Named load scenarios for ``bench/driver.py``.

A scenario is a function registered with ``@scenario("name")`` that returns
the raw HTTP/1.1 request bytes to send, built once before the load starts:

- ``bytes``: the same request every time (the cheapest for the driver);
- a ``list``/``tuple`` of ``bytes``: sent in rotation;
- an iterator/generator of ``bytes``: one request each; when it is exhausted
  that connection stops (a bounded scenario).

The function declares the keyword arguments it needs, among ``host``,
``port``, ``endpoint`` (``http://host:port``), ``state`` (what the setup hook
returned) and ``worker`` (the driver process's index, 0..P-1, to keep
generated names apart when the driver runs in several processes).

A scenario that needs resources to exist before the load (a queue, a bucket,
a table) adds a setup hook, run once in the driver's parent process with
boto3/botocore before the load; its return value (picklable) is the
``state``. An optional teardown hook gets ``(endpoint, state)`` afterwards::

    @scenario("sqs-send-message", "SendMessage of 100 bytes to one queue")
    def sqs_send_message(endpoint, state):
        return botocore_request(endpoint, "sqs", "send_message",
                                QueueUrl=state["url"], MessageBody="x" * 100)

    @sqs_send_message.setup
    def _(endpoint):
        return {"url": client(endpoint, "sqs").create_queue(QueueName="bench")["QueueUrl"]}

Requests to AWS APIs should be built with :func:`botocore_request`, which
returns the bytes botocore itself puts on the wire (same headers, same order,
a real SigV4 signature for credentials ``test``/``test``), captured once; the
signature is not refreshed, which nubis accepts (it does not check signature
freshness by default).
"""
from __future__ import annotations

import inspect
import os
import itertools
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlsplit

# test/test unless the server wants its own (s3rver accepts only S3RVER/S3RVER).
ACCESS_KEY = os.environ.get("BENCH_ACCESS_KEY", "test")
SECRET_KEY = os.environ.get("BENCH_SECRET_KEY", "test")
REGION = "us-east-1"

SCENARIOS: dict[str, "Scenario"] = {}


@dataclass
class Scenario:
    name: str
    description: str
    build_fn: Callable[..., Any]
    setup_fn: Callable[[str], Any] | None = None
    teardown_fn: Callable[[str, Any], None] | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)

    # -- decorators for the hooks -------------------------------------------
    def setup(self, fn: Callable[[str], Any]) -> Callable[[str], Any]:
        """Register ``fn(endpoint) -> state``, run once before the load."""
        self.setup_fn = fn
        return fn

    def teardown(self, fn: Callable[[str, Any], None]) -> Callable[[str, Any], None]:
        """Register ``fn(endpoint, state)``, run once after the load."""
        self.teardown_fn = fn
        return fn

    # -- used by the driver ---------------------------------------------------
    def run_setup(self, endpoint: str) -> Any:
        return self.setup_fn(endpoint) if self.setup_fn else None

    def run_teardown(self, endpoint: str, state: Any) -> None:
        if self.teardown_fn:
            self.teardown_fn(endpoint, state)

    def build(self, endpoint: str, state: Any = None, worker: int = 0):
        """The request source: ``bytes``, or a zero-argument callable giving the next request."""
        parts = urlsplit(endpoint)
        available = {"host": parts.hostname, "port": parts.port or 80,
                     "endpoint": endpoint.rstrip("/"), "state": state, "worker": worker}
        params = inspect.signature(self.build_fn).parameters
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
            kwargs = available
        else:
            unknown = [n for n in params if n not in available]
            if unknown:
                raise TypeError(f"scenario {self.name!r}: unknown parameter(s) {unknown}; "
                                f"choose among {sorted(available)}")
            kwargs = {n: available[n] for n in params}
        result = self.build_fn(**kwargs)
        if isinstance(result, (bytes, bytearray, memoryview)):
            return bytes(result)
        if isinstance(result, (list, tuple)):
            if not result:
                raise ValueError(f"scenario {self.name!r} built no request")
            if len(result) == 1:
                return bytes(result[0])
            return itertools.cycle([bytes(r) for r in result]).__next__
        if hasattr(result, "__next__"):
            return result.__next__
        raise TypeError(f"scenario {self.name!r} returned {type(result).__name__}, "
                        "expected bytes, a list of bytes or an iterator of bytes")


def scenario(name: str, description: str = "", *, setup: Callable | None = None,
             teardown: Callable | None = None, tags: tuple[str, ...] = ()):
    """Register the decorated function as the scenario ``name``."""
    def register(fn: Callable[..., Any]) -> Scenario:
        if name in SCENARIOS:
            raise ValueError(f"scenario {name!r} is registered twice")
        sc = Scenario(name, description or (inspect.getdoc(fn) or "").split("\n")[0], fn,
                      setup, teardown, tuple(tags))
        SCENARIOS[name] = sc
        return sc
    return register


def get(name: str) -> Scenario:
    try:
        return SCENARIOS[name]
    except KeyError:
        raise KeyError(f"no scenario {name!r}; known: {', '.join(sorted(SCENARIOS))}") from None


# ---------------------------------------------------------------------------
# Helpers for building requests
# ---------------------------------------------------------------------------

def http_request(method: str, path: str, host: str, port: int, headers=(), body: bytes | str = b"") -> bytes:
    """Serialise one HTTP/1.1 request (keep-alive is HTTP/1.1's default)."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}"]
    names = set()
    for k, v in (headers.items() if isinstance(headers, dict) else headers):
        lines.append(f"{k}: {v}")
        names.add(k.lower())
    if body or method in ("POST", "PUT", "PATCH"):
        if "content-length" not in names:
            lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _serialise_prepared(prepared) -> bytes:
    """An ``AWSPreparedRequest`` as urllib3 (botocore's HTTP layer) writes it."""
    parts = urlsplit(prepared.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    body = prepared.body
    if body is None:
        body = b""
    elif isinstance(body, str):
        body = body.encode("utf-8")
    elif not isinstance(body, (bytes, bytearray)):
        body = body.read()
    headers = list(prepared.headers.items())
    names = {k.lower() for k, _ in headers}
    lines = [f"{prepared.method} {target} HTTP/1.1"]
    if "host" not in names:
        lines.append(f"Host: {parts.netloc}")
    if "accept-encoding" not in names:
        lines.append("Accept-Encoding: identity")
    for k, v in headers:
        lines.append(f"{k}: {v.decode('latin-1') if isinstance(v, bytes) else v}")
    if body and "content-length" not in names and "transfer-encoding" not in names:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + bytes(body)


class _Captured(Exception):
    def __init__(self, request):
        super().__init__("captured")
        self.request = request


_CLIENTS: dict[tuple, Any] = {}


def client(endpoint: str, service: str, region: str = REGION):
    """A botocore client for ``service`` at ``endpoint`` (credentials test/test), cached.

    Works for setup hooks too; it has the same calls as a boto3 client.
    """
    key = (endpoint, service, region)
    if key not in _CLIENTS:
        import botocore.session
        from botocore.config import Config

        session = botocore.session.get_session()
        _CLIENTS[key] = session.create_client(
            service, endpoint_url=endpoint, region_name=region,
            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
            config=Config(retries={"total_max_attempts": 1}, s3={"addressing_style": "path"}))
    return _CLIENTS[key]


def botocore_request(endpoint: str, service: str, operation: str, *, region: str = REGION, **params) -> bytes:
    """The exact request bytes botocore sends for ``client.<operation>(**params)``.

    The request is serialised and SigV4-signed by botocore itself (its
    ``SigV4Auth`` signer for the service), then intercepted just before it
    would be sent, so nothing goes on the network.
    """
    c = client(endpoint, service, region)

    def intercept(request, **_):
        raise _Captured(request)

    c.meta.events.register_first("before-send", intercept)
    try:
        getattr(c, operation)(**params)
    except _Captured as captured:
        return _serialise_prepared(captured.request)
    finally:
        c.meta.events.unregister("before-send", intercept)
    raise RuntimeError(f"{service}.{operation}: botocore sent no request")


def sigv4_request(endpoint: str, method: str, path: str, *, service: str, region: str = REGION,
                  headers: dict | None = None, body: bytes | str = b"") -> bytes:
    """A hand-made request signed with ``botocore.auth.SigV4Auth`` (test/test).

    For requests a botocore client would not make (data planes, odd shapes).
    """
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    if isinstance(body, str):
        body = body.encode("utf-8")
    request = AWSRequest(method=method, url=endpoint.rstrip("/") + path, data=body, headers=dict(headers or {}))
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), service, region).add_auth(request)
    return _serialise_prepared(request.prepare())


def pool(make: Callable[[int], bytes], n: int) -> list[bytes]:
    """``n`` pre-built variants ``make(0..n-1)``, sent in rotation by the driver.

    Use this rather than building (and signing) requests during the load,
    which would make the driver the bottleneck.
    """
    return [make(i) for i in range(n)]


# ---------------------------------------------------------------------------
# The scenarios
# ---------------------------------------------------------------------------

@scenario("raw-floor", "GET /_nubis/ping: the cheapest request nubis answers (any path on the bare app)")
def raw_floor(host, port):
    return http_request("GET", "/_nubis/ping", host, port)


@scenario("health", "GET /_nubis/health: the health document (JSON, every service's state)")
def health(host, port):
    return http_request("GET", "/_nubis/health", host, port)


@scenario("sts-get-caller-identity",
          "STS GetCallerIdentity as botocore sends it (query protocol, SigV4 test/test, signed once)")
def sts_get_caller_identity(endpoint):
    return botocore_request(endpoint, "sts", "get_caller_identity")


# -- SQS ----------------------------------------------------------------------

def _queue(endpoint: str, name: str) -> str:
    return client(endpoint, "sqs").create_queue(QueueName=name)["QueueUrl"]


@scenario("sqs-send-message", "SQS SendMessage of 100 bytes, JSON protocol (current SDKs), one queue")
def sqs_send_message(endpoint, state):
    return botocore_request(endpoint, "sqs", "send_message", QueueUrl=state["url"], MessageBody="x" * 100)


@sqs_send_message.setup
def _(endpoint):
    return {"url": _queue(endpoint, "bench-send")}


@scenario("sqs-send-message-query",
          "SQS SendMessage of 100 bytes, query protocol (form-encoded: older SDKs, CLI v1), one queue")
def sqs_send_message_query(endpoint, state):
    from urllib.parse import urlencode

    body = urlencode({"Action": "SendMessage", "Version": "2012-11-05", "QueueUrl": state["url"],
                      "MessageBody": "x" * 100})
    return sigv4_request(endpoint, "POST", "/", service="sqs", body=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})


@sqs_send_message_query.setup
def _(endpoint):
    return {"url": _queue(endpoint, "bench-send-query")}


# -- SNS ----------------------------------------------------------------------

@scenario("sns-publish-fanout-3", "SNS Publish of 100 bytes to a topic with 3 SQS queue subscriptions")
def sns_publish_fanout_3(endpoint, state):
    return botocore_request(endpoint, "sns", "publish", TopicArn=state["topic"], Message="x" * 100)


@sns_publish_fanout_3.setup
def _(endpoint):
    import uuid

    sns, sqs = client(endpoint, "sns"), client(endpoint, "sqs")
    suffix = uuid.uuid4().hex[:8]
    topic = sns.create_topic(Name=f"bench-fanout-{suffix}")["TopicArn"]
    for i in range(3):
        url = sqs.create_queue(QueueName=f"bench-fanout-{suffix}-{i}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    return {"topic": topic}


# -- S3 -----------------------------------------------------------------------

_SMALL_OBJECT = bytes(range(256)) * 16  # 4 KiB


def _bucket(endpoint: str) -> str:
    import uuid

    name = f"bench-{uuid.uuid4().hex[:12]}"
    client(endpoint, "s3").create_bucket(Bucket=name)
    return name


@scenario("s3-put-4k", "S3 PutObject of 4 KiB as botocore sends it (with its default CRC32), 100 keys in rotation")
def s3_put_4k(endpoint, state):
    return pool(lambda i: botocore_request(endpoint, "s3", "put_object", Bucket=state["bucket"], Key=f"k{i}",
                                           Body=_SMALL_OBJECT), 100)


@s3_put_4k.setup
def _(endpoint):
    return {"bucket": _bucket(endpoint)}


@scenario("s3-get-4k", "S3 GetObject of a 4 KiB object, 100 keys in rotation")
def s3_get_4k(endpoint, state):
    return pool(lambda i: botocore_request(endpoint, "s3", "get_object", Bucket=state["bucket"], Key=f"k{i}"), 100)


@s3_get_4k.setup
def _(endpoint):
    bucket = _bucket(endpoint)
    s3 = client(endpoint, "s3")
    for i in range(100):
        s3.put_object(Bucket=bucket, Key=f"k{i}", Body=_SMALL_OBJECT)
    return {"bucket": bucket}


# -- EventBridge --------------------------------------------------------------

@scenario("events-put-events-1000-rules",
          "EventBridge PutEvents of 10 entries to a bus with 1,000 rules (distinct patterns over 100 sources); "
          "each event matches the one rule whose target is an SQS queue")
def events_put_events_1000_rules(endpoint, state):
    import json

    entries = [{"Source": "bench.src0", "DetailType": "type0", "EventBusName": state["bus"],
                "Detail": json.dumps({"order": i, "amount": 10 + i, "region": "us-east-1"})} for i in range(10)]
    return botocore_request(endpoint, "events", "put_events", Entries=entries)


@events_put_events_1000_rules.setup
def _(endpoint):
    import json
    import uuid

    events, sqs = client(endpoint, "events"), client(endpoint, "sqs")
    suffix = uuid.uuid4().hex[:8]
    bus = f"bench-{suffix}"
    events.create_event_bus(Name=bus)
    url = sqs.create_queue(QueueName=f"bench-events-{suffix}")["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    for i in range(1000):
        pattern = {"source": [f"bench.src{i % 100}"], "detail-type": [f"type{i}"],
                   "detail": {"amount": [{"numeric": [">=", 0]}], "region": [{"prefix": "us-"}]}}
        events.put_rule(Name=f"rule-{i}", EventBusName=bus, EventPattern=json.dumps(pattern))
        # Every rule has a target (a rule without one is not matched at all); only rule-0's events come.
        events.put_targets(Rule=f"rule-{i}", EventBusName=bus, Targets=[{"Id": "q", "Arn": queue}])
    return {"bus": bus, "queue": url}


# -- Lambda -------------------------------------------------------------------

LAMBDA_HANDLER = "def handler(event, context):\n    return {'ok': True}\n"


def lambda_zip(source: str = LAMBDA_HANDLER) -> bytes:
    """A deployment package with ``handler.py``."""
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("handler.py", source)
    return buf.getvalue()


@scenario("lambda-invoke-warm",
          "Lambda Invoke (RequestResponse) of a trivial Python function, warm environments (one per connection)")
def lambda_invoke_warm(endpoint, state):
    return botocore_request(endpoint, "lambda", "invoke", FunctionName=state["function"], Payload=b"{}")


@lambda_invoke_warm.setup
def _(endpoint):
    import uuid

    lam = client(endpoint, "lambda")
    name = f"bench-warm-{uuid.uuid4().hex[:8]}"
    lam.create_function(FunctionName=name, Runtime="python3.12", Role="arn:aws:iam::000000000000:role/bench",
                        Handler="handler.handler", Code={"ZipFile": lambda_zip()})
    lam.invoke(FunctionName=name, Payload=b"{}")  # the package is unpacked once, before the load
    return {"function": name}


@lambda_invoke_warm.teardown
def _(endpoint, state):
    client(endpoint, "lambda").delete_function(FunctionName=state["function"])


# -- DynamoDB: 1 KB items in a table of 100,000 (BENCH_DDB_ITEMS) -------------------------------
# Partition keys p0..p999 hold 100 items each (sort keys 0..99), so a Query of one
# partition returns 100 items; the table is loaded once per server and reused.

DDB_TABLE = "bench"
DDB_ITEMS = int(os.environ.get("BENCH_DDB_ITEMS", "100000"))
_DDB_DATA = "d" * 1000


def _ddb_item(i: int) -> dict:
    return {"pk": {"S": f"p{i // 100}"}, "sk": {"N": str(i % 100)}, "data": {"S": _DDB_DATA}}


def _ddb_table(endpoint: str) -> dict:
    ddb = client(endpoint, "dynamodb")
    try:
        count = ddb.describe_table(TableName=DDB_TABLE)["Table"].get("ItemCount", 0)
    except ddb.exceptions.ResourceNotFoundException:
        ddb.create_table(TableName=DDB_TABLE, BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                               {"AttributeName": "sk", "AttributeType": "N"}],
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                    {"AttributeName": "sk", "KeyType": "RANGE"}])
        ddb.get_waiter("table_exists").wait(TableName=DDB_TABLE, WaiterConfig={"Delay": 0.2, "MaxAttempts": 150})
        count = 0
    if count < DDB_ITEMS:
        # ItemCount may lag on some servers: loading again only rewrites the same items.
        from concurrent.futures import ThreadPoolExecutor

        def load(start: int) -> None:
            own = client(endpoint, "dynamodb")
            for b in range(start, min(start + 10_000, DDB_ITEMS), 25):
                batch = [{"PutRequest": {"Item": _ddb_item(i)}} for i in range(b, min(b + 25, DDB_ITEMS))]
                while batch:
                    left = own.batch_write_item(RequestItems={DDB_TABLE: batch}).get("UnprocessedItems", {})
                    batch = left.get(DDB_TABLE, [])

        with ThreadPoolExecutor(8) as workers:
            list(workers.map(load, range(0, DDB_ITEMS, 10_000)))
    return {"table": DDB_TABLE}


@scenario("dynamodb-put-item", "DynamoDB PutItem of a 1 KB item into a table of 100,000, 100 keys in rotation")
def dynamodb_put_item(endpoint, state):
    return pool(lambda i: botocore_request(endpoint, "dynamodb", "put_item", TableName=state["table"],
                                           Item=_ddb_item(i * 997 % DDB_ITEMS)), 100)


dynamodb_put_item.setup(_ddb_table)


@scenario("dynamodb-get-item", "DynamoDB GetItem of a 1 KB item from a table of 100,000, 100 keys in rotation")
def dynamodb_get_item(endpoint, state):
    return pool(lambda i: botocore_request(endpoint, "dynamodb", "get_item", TableName=state["table"],
                                           Key={k: v for k, v in _ddb_item(i * 997 % DDB_ITEMS).items()
                                                if k != "data"}), 100)


dynamodb_get_item.setup(_ddb_table)


@scenario("dynamodb-query-100", "DynamoDB Query of one partition: 100 items of 1 KB, from a table of 100,000")
def dynamodb_query_100(endpoint, state):
    return pool(lambda i: botocore_request(endpoint, "dynamodb", "query", TableName=state["table"],
                                           KeyConditionExpression="pk = :p",
                                           ExpressionAttributeValues={":p": {"S": f"p{i * 7 % (DDB_ITEMS // 100)}"}}),
                100)


dynamodb_query_100.setup(_ddb_table)


# -- Step Functions: EXPRESS machines run by StartSyncExecution (no SQLite writes) ---------------

def _express_machine(endpoint: str, name: str, definition: dict) -> str:
    import json
    import uuid

    sfn = client(endpoint, "stepfunctions")
    return sfn.create_state_machine(name=f"{name}-{uuid.uuid4().hex[:8]}", type="EXPRESS",
                                    roleArn="arn:aws:iam::000000000000:role/bench",
                                    definition=json.dumps(definition))["stateMachineArn"]


@scenario("sfn-express-pass-10", "Step Functions StartSyncExecution of an EXPRESS machine of 10 Pass states "
          "(10 state transitions a request)")
def sfn_express_pass_10(endpoint, state):
    return botocore_request(endpoint, "stepfunctions", "start_sync_execution", stateMachineArn=state["machine"],
                            input='{"n": 1}')


@sfn_express_pass_10.setup
def _(endpoint):
    states = {f"S{i}": {"Type": "Pass", "Next": f"S{i + 1}"} for i in range(9)}
    states["S9"] = {"Type": "Pass", "Result": {"done": True}, "ResultPath": "$.result", "End": True}
    return {"machine": _express_machine(endpoint, "bench-pass10", {"StartAt": "S0", "States": states})}


@scenario("sfn-express-map-1000", "Step Functions StartSyncExecution of an EXPRESS machine whose inline Map "
          "runs a Pass state over 1,000 items")
def sfn_express_map_1000(endpoint, state):
    import json

    return botocore_request(endpoint, "stepfunctions", "start_sync_execution", stateMachineArn=state["machine"],
                            input=json.dumps({"items": list(range(1000))}))


@sfn_express_map_1000.setup
def _(endpoint):
    return {"machine": _express_machine(endpoint, "bench-map1000", {"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemsPath": "$.items", "End": True,
        "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}}}})}


# -- Kinesis ------------------------------------------------------------------

KINESIS_RECORD = b"k" * 1024
KINESIS_SHARDS = 4


def _kinesis_stream(endpoint: str, name: str) -> None:
    """An ACTIVE stream: on demand where the server has the mode (no per-shard limits
    to measure against), else provisioned with as many shards (kinesalite)."""
    k = client(endpoint, "kinesis")
    try:
        k.describe_stream_summary(StreamName=name)
        return
    except k.exceptions.ResourceNotFoundException:
        pass
    except Exception:  # noqa: BLE001  (a server without the operation)
        pass
    try:
        k.create_stream(StreamName=name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    except k.exceptions.ResourceInUseException:
        pass
    except Exception:  # noqa: BLE001
        k.create_stream(StreamName=name, ShardCount=KINESIS_SHARDS)
    k.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 150})


@scenario("kinesis-put-records-100", "Kinesis PutRecords of 100 records of 1 KB, partition keys spread over the shards")
def kinesis_put_records_100(endpoint, state):
    return pool(lambda i: botocore_request(endpoint, "kinesis", "put_records", StreamName=state["stream"], Records=[
        {"Data": KINESIS_RECORD, "PartitionKey": f"key-{i}-{j}"} for j in range(100)]), 10)


@kinesis_put_records_100.setup
def _(endpoint):
    _kinesis_stream(endpoint, "bench-put")
    return {"stream": "bench-put"}


@scenario("kinesis-get-records", "Kinesis GetRecords of 100 records of 1 KB, from iterators spread over a "
                                 "stream of 20,000 (reading it as consumers drain it)")
def kinesis_get_records(endpoint, state):
    return [botocore_request(endpoint, "kinesis", "get_records", ShardIterator=it, Limit=100)
            for it in state["iterators"]]


@kinesis_get_records.setup
def _(endpoint):
    name = "bench-get"
    _kinesis_stream(endpoint, name)
    k = client(endpoint, "kinesis")
    starts: dict[str, list[str]] = {}
    for b in range(200):
        out = k.put_records(StreamName=name, Records=[
            {"Data": KINESIS_RECORD, "PartitionKey": f"key-{b}-{j}"} for j in range(100)])
        for r in out["Records"]:
            if "SequenceNumber" in r:
                starts.setdefault(r["ShardId"], []).append(r["SequenceNumber"])
    # An iterator every 100 records of each shard; iterators live five minutes, the load far less.
    iterators = [k.get_shard_iterator(StreamName=name, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER",
                                      StartingSequenceNumber=seqs[i])["ShardIterator"]
                 for shard, seqs in starts.items() for i in range(0, len(seqs) - 100, 100)]
    return {"iterators": iterators}
