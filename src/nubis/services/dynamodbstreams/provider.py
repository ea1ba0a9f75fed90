"""Amazon DynamoDB Streams: ListStreams, DescribeStream, GetShardIterator, GetRecords.

The streams and their records belong to DynamoDB (``services/dynamodb/streams.py``
writes them in the same transaction as the change); this provider reads them
through that module's read API only. A stream has one shard. A shard iterator
is a position (the next record's number) and the clock time it was issued at:
it expires 15 minutes later, as on AWS.
"""
from __future__ import annotations

import base64
import json
import re

from ...protocol.errors import ServiceError
from ..base import Provider, RequestContext

ITERATOR_LIFETIME = 15 * 60.0
MAX_RECORDS = 1000
_STREAM_ARN = re.compile(r"^arn:aws[a-z-]*:dynamodb:([a-z0-9-]+):(\d{12}):table/[a-zA-Z0-9_.-]+/stream/\S+$")
_ITERATOR_TYPES = ("TRIM_HORIZON", "LATEST", "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER")


def _validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message, 400)


def _not_found(message: str = "Requested resource not found") -> ServiceError:
    return ServiceError("ResourceNotFoundException", message, 400)


def _trimmed() -> ServiceError:
    return ServiceError("TrimmedDataAccessException",
                        "The operation attempted to read past the oldest stream record in a shard.", 400)


class DynamoDBStreamsProvider(Provider):
    service = "dynamodbstreams"

    @property
    def _streams(self):
        """DynamoDB's streams (its read API: streams_of, stream, records, next_seq)."""
        return self.runtime.provider("dynamodb").streams

    def _stream(self, arn) -> dict:
        if not arn:
            raise _validation("1 validation error detected: Value null at 'streamArn' failed to satisfy constraint: "
                              "Member must not be null")
        if not _STREAM_ARN.match(arn):
            raise _validation(f"Invalid StreamArn: {arn}")
        stream = self._streams.stream(arn)
        if stream is None:
            raise _not_found(f"Requested resource not found: Stream: {arn} not found")
        return stream

    # -- operations, in the API reference's order ------------------------------------------------

    def describe_stream(self, ctx: RequestContext, params: dict) -> dict:
        s = self._stream(params.get("StreamArn"))
        _check_limit(params.get("Limit"), 100)
        shard: dict = {"ShardId": s["shard_id"], "SequenceNumberRange": {
            "StartingSequenceNumber": _seq_text(max(s["start_seq"], s["trimmed_to"]))}}
        if s["closed"] is not None:
            shard["SequenceNumberRange"]["EndingSequenceNumber"] = _seq_text(
                s["end_seq"] if s["end_seq"] is not None else s["start_seq"])
        shards = [shard]
        start = params.get("ExclusiveStartShardId")
        if start is not None and start >= s["shard_id"]:
            shards = []
        shard_filter = params.get("ShardFilter")
        if shard_filter is not None:
            if shard_filter.get("Type") != "CHILD_SHARDS" or not shard_filter.get("ShardId"):
                raise _validation("ShardFilter must have Type CHILD_SHARDS and a ShardId")
            # A stream's one shard has no children.
            shards = []
        return {"StreamDescription": {
            "StreamArn": s["arn"], "StreamLabel": s["label"],
            "StreamStatus": "ENABLED" if s["closed"] is None else "DISABLED",
            "StreamViewType": s["view_type"], "CreationRequestDateTime": s["created"],
            "TableName": s["table_name"], "KeySchema": json.loads(s["key_schema"]), "Shards": shards}}

    def get_records(self, ctx: RequestContext, params: dict) -> dict:
        text = params.get("ShardIterator")
        if not text:
            raise _validation("1 validation error detected: Value null at 'shardIterator' failed to satisfy "
                              "constraint: Member must not be null")
        limit = params.get("Limit")
        if limit is not None and ctx.internal:
            limit = min(limit, MAX_RECORDS)
        _check_limit(limit, MAX_RECORDS)
        arn, shard_id, pos, issued = _decode_iterator(text)
        now = self.clock.now()
        if now - issued > ITERATOR_LIFETIME:
            raise ServiceError("ExpiredIteratorException",
                               f"Iterator expired. The iterator was created at time {_ms(issued)} while right now "
                               f"it is {_ms(now)} which is further in the future than the tolerated delay of "
                               f"{int(ITERATOR_LIFETIME * 1000)} milliseconds.", 400)
        s = self._stream(arn)
        if shard_id != s["shard_id"]:
            raise _not_found("Requested resource not found: Shard does not exist")
        if pos < s["trimmed_to"]:
            raise _trimmed()
        records = self._streams.records(s["id"], pos, limit or MAX_RECORDS)
        if records:
            pos = records[-1][0] + 1
        out: dict = {"Records": [r for _seq, r in records]}
        # A closed shard read to its end has no next iterator: the consumer is done with it.
        end = s["end_seq"] if s["end_seq"] is not None else s["start_seq"] - 1
        if s["closed"] is None or pos <= end:
            out["NextShardIterator"] = _encode_iterator(arn, shard_id, pos, now)
        return out

    def get_shard_iterator(self, ctx: RequestContext, params: dict) -> dict:
        s = self._stream(params.get("StreamArn"))
        shard_id = params.get("ShardId")
        kind = params.get("ShardIteratorType")
        if kind not in _ITERATOR_TYPES:
            raise _validation(f"1 validation error detected: Value '{kind}' at 'shardIteratorType' failed to "
                              "satisfy constraint: Member must satisfy enum value set: [TRIM_HORIZON, LATEST, "
                              "AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER]")
        if shard_id != s["shard_id"]:
            raise _not_found("Requested resource not found: Shard does not exist")
        floor = max(s["start_seq"], s["trimmed_to"])
        end = s["end_seq"] if s["end_seq"] is not None else s["start_seq"] - 1
        if kind == "TRIM_HORIZON":
            pos = floor
        elif kind == "LATEST":
            pos = end + 1 if s["closed"] is not None else self._streams.next_seq()
        else:
            text = params.get("SequenceNumber")
            if text is None:
                raise _validation(f"Must provide a SequenceNumber for ShardIteratorType {kind}")
            seq = _parse_seq(text)
            if seq is None or seq < s["start_seq"] or (s["closed"] is not None and seq > end):
                raise _validation(f"Invalid SequenceNumber {text} for shard {shard_id}")
            if seq < s["trimmed_to"]:
                raise _trimmed()
            pos = seq if kind == "AT_SEQUENCE_NUMBER" else seq + 1
        return {"ShardIterator": _encode_iterator(s["arn"], shard_id, pos, self.clock.now())}

    def list_streams(self, ctx: RequestContext, params: dict) -> dict:
        limit = params.get("Limit")
        _check_limit(limit, 100)
        limit = limit or 100
        table = params.get("TableName")
        if table is not None and ctx.account is not None:
            dynamodb = self.runtime.provider("dynamodb")
            if (ctx.account, ctx.region, table) not in dynamodb.tables and not self._streams.streams_of(
                    ctx.account, ctx.region, table):
                raise _not_found(f"Requested resource not found: Table: {table} not found")
        streams = self._streams.streams_of(ctx.account, ctx.region, table)
        start = params.get("ExclusiveStartStreamArn")
        if start is not None:
            ids = [s["arn"] for s in streams]
            streams = streams[ids.index(start) + 1:] if start in ids else []
        out: dict = {"Streams": [{"StreamArn": s["arn"], "TableName": s["table_name"], "StreamLabel": s["label"]}
                                 for s in streams[:limit]]}
        if len(streams) > limit:
            out["LastEvaluatedStreamArn"] = streams[limit - 1]["arn"]
        return out


def _check_limit(limit, most: int) -> None:
    if limit is None:
        return
    if limit < 1:
        raise _validation(f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: "
                          "Member must have value greater than or equal to 1")
    if limit > most:
        raise _validation(f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: "
                          f"Member must have value less than or equal to {most}")


def _seq_text(seq: int) -> str:
    from ..dynamodb.streams import sequence_number
    return sequence_number(seq)


def _parse_seq(text) -> int | None:
    from ..dynamodb.streams import parse_sequence_number
    return parse_sequence_number(text)


def _ms(t: float) -> int:
    return int(t * 1000)


def _encode_iterator(arn: str, shard_id: str, pos: int, issued: float) -> str:
    # Opaque to clients; AWS's also begins with the stream's ARN.
    body = base64.urlsafe_b64encode(json.dumps([shard_id, pos, issued]).encode()).decode()
    return f"{arn}|1|{body}"


def _decode_iterator(text: str) -> tuple[str, str, int, float]:
    try:
        arn, version, body = text.rsplit("|", 2)
        shard_id, pos, issued = json.loads(base64.urlsafe_b64decode(body.encode()))
        if version != "1" or not isinstance(pos, int) or not isinstance(issued, (int, float)):
            raise ValueError(text)
        return arn, shard_id, pos, float(issued)
    except (ValueError, TypeError):
        raise _validation("Invalid ShardIterator") from None
