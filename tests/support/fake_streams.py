"""Test-only Kinesis and DynamoDB Streams: just enough of their read APIs
(shards, iterators, records) for Lambda's stream pollers, until the real
services land (loaded through the ``providers`` setting).

Kinesis: CreateStream, PutRecord (a partition key's MD5 picks the shard by
hash range), DescribeStreamSummary, ListShards, GetShardIterator, GetRecords
(an iterator expires 5 minutes after it is given, on the clock).
DynamoDB Streams: DescribeStream, GetShardIterator, GetRecords, with records
added by ``POST /_nubis/dynamodbstreams/records`` ({"stream", "eventName",
"keys", "new", "old"}); a stream has one shard. State is in memory.
"""
import base64
import hashlib
import json

from nubis.protocol.errors import ServiceError
from nubis.services.base import Provider

HASH_SPACE = 2 ** 128
ITERATOR_LIFETIME = 300.0  # Kinesis: a shard iterator expires 5 minutes after it is returned


def _not_found(what: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", f"{what} not found", status=400)


def _iterator(stream: str, shard: str, position: int, issued: float = 0.0) -> str:
    return base64.b64encode(json.dumps([stream, shard, position, issued]).encode()).decode()


def _position(records: list, kind: str, sequence: str | None, timestamp=None) -> int:
    if kind == "TRIM_HORIZON":
        return 0
    if kind == "LATEST":
        return len(records)
    if kind == "AT_TIMESTAMP":
        t = timestamp.timestamp() if hasattr(timestamp, "timestamp") else float(timestamp)
        return next((i for i, r in enumerate(records) if r["at"] >= t), len(records))
    index = next((i for i, r in enumerate(records) if r["seq"] == sequence), None)
    if index is None:
        raise ServiceError("InvalidArgumentException", f"unknown sequence number {sequence}", status=400)
    return index + (1 if kind == "AFTER_SEQUENCE_NUMBER" else 0)


class FakeKinesis(Provider):
    service = "kinesis"

    def start(self):
        self.reset()

    def reset(self):
        self.streams: dict[str, dict] = {}  # arn -> {"name", "shards": {id: [records]}}
        self.sequence = 0

    def _arn(self, ctx, name):
        return f"arn:aws:kinesis:{ctx.region}:{ctx.account}:stream/{name}"

    def _stream(self, ctx, params):
        arn = params.get("StreamARN") or self._arn(ctx, params.get("StreamName", ""))
        if arn not in self.streams:
            raise _not_found(f"Stream {arn}")
        return arn, self.streams[arn]

    def create_stream(self, ctx, params):
        count = params.get("ShardCount") or 1
        self.streams[self._arn(ctx, params["StreamName"])] = {
            "name": params["StreamName"], "shards": {f"shardId-{i:012d}": [] for i in range(count)}}
        return {}

    def describe_stream_summary(self, ctx, params):
        arn, s = self._stream(ctx, params)
        return {"StreamDescriptionSummary": {"StreamName": s["name"], "StreamARN": arn, "StreamStatus": "ACTIVE",
                                             "OpenShardCount": len(s["shards"])}}

    def list_shards(self, ctx, params):
        arn, s = self._stream(ctx, params)
        count = len(s["shards"])
        step = HASH_SPACE // count
        shards = []
        for i, sid in enumerate(s["shards"]):
            end = HASH_SPACE - 1 if i == count - 1 else (i + 1) * step - 1
            shards.append({"ShardId": sid,
                           "HashKeyRange": {"StartingHashKey": str(i * step), "EndingHashKey": str(end)},
                           "SequenceNumberRange": {"StartingSequenceNumber": "0"}})
        return {"Shards": shards}

    def put_record(self, ctx, params):
        arn, s = self._stream(ctx, params)
        key = int(hashlib.md5(params["PartitionKey"].encode()).hexdigest(), 16)
        ids = list(s["shards"])
        shard = ids[min(len(ids) - 1, key // (HASH_SPACE // len(ids)))]
        self.sequence += 1
        seq = f"{self.sequence:030d}"
        s["shards"][shard].append({"seq": seq, "key": params["PartitionKey"], "data": params["Data"],
                                   "at": self.clock.now()})
        return {"ShardId": shard, "SequenceNumber": seq}

    def get_shard_iterator(self, ctx, params):
        arn, s = self._stream(ctx, params)
        records = s["shards"].get(params["ShardId"])
        if records is None:
            raise _not_found(f"Shard {params['ShardId']}")
        pos = _position(records, params["ShardIteratorType"], params.get("StartingSequenceNumber"),
                        params.get("Timestamp"))
        return {"ShardIterator": _iterator(arn, params["ShardId"], pos, self.clock.now())}

    def get_records(self, ctx, params):
        arn, shard, pos, issued = json.loads(base64.b64decode(params["ShardIterator"]))
        if self.clock.now() - issued > ITERATOR_LIFETIME:
            raise ServiceError("ExpiredIteratorException", "Iterator expired.", status=400)
        records = self.streams[arn]["shards"][shard]
        chosen = records[pos:pos + (params.get("Limit") or 10000)]
        return {"Records": [{"SequenceNumber": r["seq"], "ApproximateArrivalTimestamp": r["at"], "Data": r["data"],
                             "PartitionKey": r["key"]} for r in chosen],
                "NextShardIterator": _iterator(arn, shard, pos + len(chosen), self.clock.now()),
                "MillisBehindLatest": 0}


class FakeDynamoDBStreams(Provider):
    service = "dynamodbstreams"
    SHARD = "shardId-00000001700000000000-00000001"

    def start(self):
        self.reset()

    def reset(self):
        self.streams: dict[str, list] = {}
        self.sequence = 0

    def describe_stream(self, ctx, params):
        arn = params["StreamArn"]
        if arn not in self.streams:
            raise _not_found(f"Stream {arn}")
        return {"StreamDescription": {"StreamArn": arn, "StreamStatus": "ENABLED",
                                      "StreamViewType": "NEW_AND_OLD_IMAGES",
                                      "Shards": [{"ShardId": self.SHARD,
                                                  "SequenceNumberRange": {"StartingSequenceNumber": "1"}}]}}

    def get_shard_iterator(self, ctx, params):
        records = self.streams.get(params["StreamArn"])
        if records is None:
            raise _not_found(f"Stream {params['StreamArn']}")
        pos = _position(records, params["ShardIteratorType"], params.get("SequenceNumber"))
        return {"ShardIterator": _iterator(params["StreamArn"], params["ShardId"], pos)}

    def get_records(self, ctx, params):
        arn, _, pos, _ = json.loads(base64.b64decode(params["ShardIterator"]))
        chosen = self.streams[arn][pos:pos + (params.get("Limit") or 1000)]
        return {"Records": [r["record"] for r in chosen],
                "NextShardIterator": _iterator(arn, self.SHARD, pos + len(chosen))}

    def nubis_api(self, method, path, query, doc):
        if path == "streams" and method == "POST":
            self.streams.setdefault(doc["stream"], [])
            return {}
        if path != "records" or method != "POST":
            return None
        self.sequence += 1
        seq = f"{self.sequence:021d}"
        dynamodb = {"ApproximateCreationDateTime": self.clock.now(), "Keys": doc["keys"], "SequenceNumber": seq,
                    "SizeBytes": len(json.dumps(doc)), "StreamViewType": "NEW_AND_OLD_IMAGES"}
        if doc.get("new"):
            dynamodb["NewImage"] = doc["new"]
        if doc.get("old"):
            dynamodb["OldImage"] = doc["old"]
        record = {"eventID": hashlib.md5(seq.encode()).hexdigest(), "eventName": doc["eventName"],
                  "eventVersion": "1.1", "eventSource": "aws:dynamodb", "awsRegion": "us-east-1",
                  "dynamodb": dynamodb}
        self.streams.setdefault(doc["stream"], []).append({"seq": seq, "at": self.clock.now(), "record": record})
        return {"SequenceNumber": seq}
