"""Delivery to an HTTP endpoint: the request Firehose sends, the answer it
wants, retries on the clock for RetryOptions.DurationInSeconds, and what
could not be delivered going to the S3 configuration."""
import base64
import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from .conftest import ROLE, body, keys


class Endpoint:
    """A tiny endpoint: answers per the contract, or with ``fail_with`` while that is set."""

    def __init__(self):
        self.requests = []
        self.fail_with = None
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                if self.headers.get("Content-Encoding") == "gzip":
                    raw = gzip.decompress(raw)
                doc = json.loads(raw)
                outer.requests.append({"headers": {k.lower(): v for k, v in self.headers.items()}, "body": doc})
                status = outer.fail_with or 200
                answer = json.dumps({"requestId": doc["requestId"], "timestamp": doc["timestamp"]}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/ingest"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoint():
    e = Endpoint()
    yield e
    e.close()


def make_http_stream(firehose, url, bucket, **more):
    return firehose.create_delivery_stream(DeliveryStreamName="hook", HttpEndpointDestinationConfiguration={
        "EndpointConfiguration": {"Url": url, "Name": "hook", "AccessKey": "s3cret"},
        "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 60},
        "RequestConfiguration": {"ContentEncoding": "GZIP",
                                 "CommonAttributes": [{"AttributeName": "env", "AttributeValue": "test"}]},
        "RetryOptions": {"DurationInSeconds": 60},
        "S3Configuration": {"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}"}, **more})


def test_records_are_posted_per_the_contract(nubis, firehose, s3, bucket, endpoint):
    make_http_stream(firehose, endpoint.url, bucket)
    d = firehose.describe_delivery_stream(DeliveryStreamName="hook")["DeliveryStreamDescription"]
    desc = d["Destinations"][0]["HttpEndpointDestinationDescription"]
    assert desc["EndpointConfiguration"] == {"Url": endpoint.url, "Name": "hook"}   # the key is not shown
    assert desc["S3BackupMode"] == "FailedDataOnly"
    firehose.put_record_batch(DeliveryStreamName="hook", Records=[{"Data": b"one"}, {"Data": b"two"}])
    nubis.advance(60)
    (req,) = endpoint.requests
    assert req["headers"]["x-amz-firehose-access-key"] == "s3cret"
    assert req["headers"]["x-amz-firehose-request-id"] == req["body"]["requestId"]
    assert json.loads(req["headers"]["x-amz-firehose-common-attributes"]) == {"commonAttributes": {"env": "test"}}
    assert [base64.b64decode(r["data"]) for r in req["body"]["records"]] == [b"one", b"two"]
    assert req["body"]["timestamp"] == int(nubis.clock() * 1000)
    assert keys(s3, bucket) == []   # nothing failed, nothing backed up


def test_failures_are_retried_until_the_endpoint_recovers(nubis, firehose, s3, bucket, endpoint):
    make_http_stream(firehose, endpoint.url, bucket)
    endpoint.fail_with = 503
    firehose.put_record(DeliveryStreamName="hook", Record={"Data": b"again"})
    nubis.advance(60)
    assert len(endpoint.requests) == 1
    nubis.advance(7)     # backing off: 1, 2, 4 seconds
    assert len(endpoint.requests) == 4
    endpoint.fail_with = None
    nubis.advance(10)
    assert len(endpoint.requests) == 5
    assert len({r["body"]["requestId"] for r in endpoint.requests}) == 5
    assert keys(s3, bucket) == []
    nubis.advance(300)
    assert len(endpoint.requests) == 5


def test_after_the_retry_duration_records_go_to_s3(nubis, firehose, s3, bucket, endpoint):
    make_http_stream(firehose, endpoint.url, bucket)
    endpoint.fail_with = 500
    firehose.put_record(DeliveryStreamName="hook", Record={"Data": b"lost?"})
    nubis.advance(60)
    nubis.advance(59)
    assert keys(s3, bucket) == []
    nubis.advance(60)
    (key,) = keys(s3, bucket)
    assert key.startswith("http-endpoint-failed/")
    doc = json.loads(body(s3, bucket, key))
    assert base64.b64decode(doc["rawData"]) == b"lost?" and doc["errorCode"].startswith("HttpEndpoint.")
    count = len(endpoint.requests)
    nubis.advance(600)
    assert len(endpoint.requests) == count


def test_all_data_backup(nubis, firehose, s3, bucket, endpoint):
    make_http_stream(firehose, endpoint.url, bucket, S3BackupMode="AllData")
    firehose.put_record(DeliveryStreamName="hook", Record={"Data": b"copy"})
    nubis.advance(60)
    assert len(endpoint.requests) == 1
    (key,) = keys(s3, bucket)
    assert body(s3, bucket, key) == b"copy"
