"""Kinesis Data Streams for DynamoDB: a table's streaming destinations.

Stored and described (Terraform and CDK read them back); nubis has no Kinesis
yet, so no change is sent to the stream. A destination is part of the table's
definition (``KinesisDestinations``); enabling answers ENABLING and disabling
DISABLING, and the next describe shows ACTIVE or DISABLED, as AWS's do once
the change is done.
"""
from __future__ import annotations

import re

from ...protocol.errors import ServiceError
from ..base import RequestContext
from .tables import require, validation

_KINESIS_ARN = re.compile(r"^arn:aws[a-z-]*:kinesis:[a-z0-9-]+:\d{12}:stream/[a-zA-Z0-9_.-]+$")
_PRECISION = ("MILLISECOND", "MICROSECOND")


class KinesisDestinations:
    """Operations of the DynamoDB provider (a mixin: ``self`` is the provider)."""

    def _destination_request(self, ctx: RequestContext, params: dict, config_member: str):
        t = self._table(ctx, params.get("TableName"), described=True)
        arn = require(params.get("StreamArn"), "streamArn")
        if not _KINESIS_ARN.match(arn):
            raise validation(f"1 validation error detected: Value '{arn}' at 'streamArn' failed to satisfy "
                             "constraint: Member must satisfy regular expression pattern: "
                             "arn:aws[a-z-]*:kinesis:[a-z0-9-]+:\\d{12}:stream/[a-zA-Z0-9_.-]+")
        config = params.get(config_member) or {}
        precision = config.get("ApproximateCreationDateTimePrecision")
        if precision is not None and precision not in _PRECISION:
            raise validation(f"1 validation error detected: Value '{precision}' at "
                             f"'{config_member[0].lower() + config_member[1:]}.approximateCreationDateTimePrecision' "
                             "failed to satisfy constraint: Member must satisfy enum value set: "
                             "[MILLISECOND, MICROSECOND]")
        destinations = t.definition.setdefault("KinesisDestinations", [])
        current = next((d for d in destinations if d["StreamArn"] == arn), None)
        return t, arn, config, current

    def enable_kinesis_streaming_destination(self, ctx: RequestContext, params: dict) -> dict:
        t, arn, config, current = self._destination_request(ctx, params, "EnableKinesisStreamingConfiguration")
        if current is not None and current["DestinationStatus"] == "ACTIVE":
            raise ServiceError("ResourceInUseException",
                               f"Table {t.name} is already streaming to the Kinesis data stream {arn}")
        active = [d for d in t.definition["KinesisDestinations"] if d["DestinationStatus"] == "ACTIVE"]
        if active:
            raise ServiceError("LimitExceededException",
                               f"Table {t.name} already streams to a Kinesis data stream: {active[0]['StreamArn']}")
        precision = config.get("ApproximateCreationDateTimePrecision", "MILLISECOND")
        entry = {"StreamArn": arn, "DestinationStatus": "ACTIVE", "ApproximateCreationDateTimePrecision": precision}
        t.definition["KinesisDestinations"] = [d for d in t.definition["KinesisDestinations"]
                                               if d["StreamArn"] != arn] + [entry]
        self._save(t)
        return {"TableName": t.name, "StreamArn": arn, "DestinationStatus": "ENABLING",
                "EnableKinesisStreamingConfiguration": {"ApproximateCreationDateTimePrecision": precision}}

    def disable_kinesis_streaming_destination(self, ctx: RequestContext, params: dict) -> dict:
        t, arn, config, current = self._destination_request(ctx, params, "EnableKinesisStreamingConfiguration")
        if current is None or current["DestinationStatus"] != "ACTIVE":
            raise ServiceError("ResourceNotFoundException",
                               f"Requested resource not found: Table {t.name} does not stream to {arn}")
        current["DestinationStatus"] = "DISABLED"
        self._save(t)
        out = {"TableName": t.name, "StreamArn": arn, "DestinationStatus": "DISABLING"}
        if config:
            out["EnableKinesisStreamingConfiguration"] = config
        return out

    def update_kinesis_streaming_destination(self, ctx: RequestContext, params: dict) -> dict:
        t, arn, config, current = self._destination_request(ctx, params, "UpdateKinesisStreamingConfiguration")
        if current is None or current["DestinationStatus"] != "ACTIVE":
            raise ServiceError("ResourceNotFoundException",
                               f"Requested resource not found: Table {t.name} does not stream to {arn}")
        if not config.get("ApproximateCreationDateTimePrecision"):
            raise validation("UpdateKinesisStreamingConfiguration must specify "
                             "ApproximateCreationDateTimePrecision")
        current["ApproximateCreationDateTimePrecision"] = config["ApproximateCreationDateTimePrecision"]
        self._save(t)
        return {"TableName": t.name, "StreamArn": arn, "DestinationStatus": "UPDATING",
                "UpdateKinesisStreamingConfiguration": config}

    def describe_kinesis_streaming_destination(self, ctx: RequestContext, params: dict) -> dict:
        t = self._table(ctx, params.get("TableName"), described=True)
        return {"TableName": t.name, "KinesisDataStreamDestinations": list(t.definition.get("KinesisDestinations")
                                                                           or ())}
