"""Event source mappings: the API (Create/Get/Update/Delete/ListEventSourceMappings)
and the rules of each source's parameters, from the developer guide's
"Lambda parameters for ... event source mappings" pages.

A mapping is stored as the document the API returns. Lambda answers a create
with State ``Creating`` and an update with ``Updating``/``Enabling``/``Disabling``
while it works; nubis has nothing to provision, so the stored state is the
final one (``Enabled`` or ``Disabled``) at once. The pollers (``pollers.py``,
``stream_pollers.py``) run one per enabled mapping.
"""
from __future__ import annotations

import base64
import re
import uuid as uuids

from ...protocol.base import to_datetime
from ...protocol.errors import ServiceError
from ..base import RequestContext
from . import filters
from . import validation as v
from .mapping_store import MappingStore
from .pollers import Pollers

PRINCIPAL = "lambda.amazonaws.com"
_SOURCE = re.compile(r"^arn:aws[a-zA-Z-]*:([a-z0-9-]+):([a-z0-9-]*):(\d{12}):(.+)$")
_DESTINATION = re.compile(r"^arn:aws[a-zA-Z-]*:(sqs|sns|s3):[a-z0-9-]*:\d{0,12}:.+$")
STREAM_ONLY = ("ParallelizationFactor", "BisectBatchOnFunctionError", "MaximumRetryAttempts",
               "MaximumRecordAgeInSeconds", "TumblingWindowInSeconds", "DestinationConfig")
DEFAULT_BATCH = {"sqs": 10, "kinesis": 100, "dynamodb": 100}


def source_kind(arn: str) -> str | None:
    """"sqs", "kinesis" or "dynamodb" for the event sources nubis polls."""
    m = _SOURCE.match(arn or "")
    if m is None:
        return None
    service, rest = m.group(1), m.group(4)
    if service == "sqs":
        return "sqs"
    if service == "kinesis" and rest.startswith("stream/"):
        return "kinesis"
    if service == "dynamodb" and re.match(r"^table/[^/]+/stream/.+$", rest):
        return "dynamodb"
    return None


def _duplicate(kind: str, source: str, function_arn: str, uuid: str) -> str:
    name = function_arn.split(":")[6]
    if kind == "sqs":
        return (f'An event source mapping with SQS arn (" {source} ") and function (" {name} ") already exists. '
                f"Please update or delete the existing mapping with UUID {uuid}")
    return (f'The event source arn (" {source} ") and function (" {name} ") provided mapping already exists. '
            f"Please update or delete the existing mapping with UUID {uuid}")


def _not_found() -> ServiceError:
    return v.not_found("The resource you requested does not exist.")


class MappingsMixin:
    def start_mappings(self) -> None:
        self.mappings = MappingStore(self.db)
        self.pollers = Pollers(self)
        self.pollers.resume()

    def mapping_arn(self, region: str, account: str, uuid: str) -> str:
        return f"arn:aws:lambda:{region}:{account}:event-source-mapping:{uuid}"

    # -- validation ------------------------------------------------------------------------

    def _target(self, ctx: RequestContext, name: str) -> str:
        """The FunctionArn a mapping invokes (qualified when a qualifier was given)."""
        fn, qualifier = self.function(ctx, name)
        if qualifier:
            self.resolve(ctx, fn, qualifier)
            return f"{fn.arn}:{qualifier}"
        return fn.arn

    async def _check_source(self, ctx: RequestContext, kind: str, arn: str) -> bool:
        """That the source exists; True for a FIFO queue."""
        m = _SOURCE.match(arn)
        region, account, rest = m.group(2) or ctx.region, m.group(3), m.group(4)
        where = dict(account=account, region=region, principal=PRINCIPAL)
        try:
            if kind == "sqs":
                await self.internal.call("sqs", "GetQueueUrl", {"QueueName": rest, "QueueOwnerAWSAccountId": account},
                                         **where)
                return rest.endswith(".fifo")
            if kind == "kinesis":
                await self.internal.call("kinesis", "DescribeStreamSummary",
                                         {"StreamARN": arn.split("/consumer/")[0]}, **where)
            else:
                await self.internal.call("dynamodbstreams", "DescribeStream", {"StreamArn": arn, "Limit": 1}, **where)
        except ServiceError as e:
            if e.code == "NotImplemented":
                return False  # that service is not in this nubis: the poller waits for it
            if kind == "sqs":
                raise v.invalid(f"Error occurred while ReceiveMessage. SQS Error Code: {e.code}. "
                                f"SQS Error Message: {e.message}") from None
            raise v.invalid(f"Stream not found: {arn}") from None
        return False

    def _apply_settings(self, kind: str, fifo: bool, doc: dict, params: dict) -> None:
        """Check and set what CreateEventSourceMapping and UpdateEventSourceMapping share."""
        if kind == "sqs":
            for key in STREAM_ONLY:
                if key in params:
                    raise v.invalid(f"Unsupported {key} parameter for given event source mapping type.")
        if "BatchSize" in params:
            v.check_range("batchSize", params["BatchSize"], 1, 10000)
            doc["BatchSize"] = params["BatchSize"]
        if "MaximumBatchingWindowInSeconds" in params:
            v.check_range("maximumBatchingWindowInSeconds", params["MaximumBatchingWindowInSeconds"], 0, 300)
            doc["MaximumBatchingWindowInSeconds"] = params["MaximumBatchingWindowInSeconds"]
        if kind == "sqs":
            if fifo and doc["BatchSize"] > 10:
                raise v.invalid("Batch size must be between 1 and 10 for FIFO queues.")
            if fifo and doc.get("MaximumBatchingWindowInSeconds"):
                raise v.invalid("Batching window is not supported for FIFO queues.")
            if doc["BatchSize"] > 10 and not doc.get("MaximumBatchingWindowInSeconds"):
                raise v.invalid("Maximum batch window in seconds must be greater than 0 if maximum batch size is "
                                "greater than 10")
        if "FilterCriteria" in params:
            criteria, _ = filters.check(params["FilterCriteria"])
            if criteria and criteria["Filters"]:
                doc["FilterCriteria"] = criteria
            else:
                doc.pop("FilterCriteria", None)
        if "FunctionResponseTypes" in params:
            types = params["FunctionResponseTypes"] or []
            for t in types:
                if t != "ReportBatchItemFailures":
                    raise v.validation("functionResponseTypes", f"[{', '.join(types)}]",
                                       "satisfy enum value set: [ReportBatchItemFailures]")
            doc["FunctionResponseTypes"] = list(types)
        if "ScalingConfig" in params:
            if kind != "sqs":
                raise v.invalid("Unsupported ScalingConfig parameter for given event source mapping type.")
            scaling = params["ScalingConfig"] or {}
            if "MaximumConcurrency" in scaling:
                v.check_range("scalingConfig.maximumConcurrency", scaling["MaximumConcurrency"], 2, 1000)
                doc["ScalingConfig"] = {"MaximumConcurrency": scaling["MaximumConcurrency"]}
            else:
                doc.pop("ScalingConfig", None)
        if "MetricsConfig" in params:
            metrics = (params["MetricsConfig"] or {}).get("Metrics") or []
            for m in metrics:
                if m not in ("EventCount", "ErrorCount", "KafkaMetrics"):
                    raise v.validation("metricsConfig.metrics", f"[{', '.join(metrics)}]",
                                       "satisfy enum value set: [EventCount, ErrorCount, KafkaMetrics]")
            doc["MetricsConfig"] = {"Metrics": list(metrics)}
        if "KMSKeyArn" in params:
            doc["KMSKeyArn"] = params["KMSKeyArn"]
            if not doc["KMSKeyArn"]:
                doc.pop("KMSKeyArn")
        if "ProvisionedPollerConfig" in params:
            if kind != "sqs":
                raise v.invalid("Unsupported ProvisionedPollerConfig parameter for given event source mapping type.")
            pollers = params["ProvisionedPollerConfig"] or {}
            if "MinimumPollers" in pollers:
                v.check_range("provisionedPollerConfig.minimumPollers", pollers["MinimumPollers"], 2, 200)
            if "MaximumPollers" in pollers:
                v.check_range("provisionedPollerConfig.maximumPollers", pollers["MaximumPollers"], 2, 2000)
            doc["ProvisionedPollerConfig"] = dict(pollers)
        if kind == "sqs":
            return
        if "ParallelizationFactor" in params:
            v.check_range("parallelizationFactor", params["ParallelizationFactor"], 1, 10)
            doc["ParallelizationFactor"] = params["ParallelizationFactor"]
        if "BisectBatchOnFunctionError" in params:
            doc["BisectBatchOnFunctionError"] = bool(params["BisectBatchOnFunctionError"])
        if "MaximumRetryAttempts" in params:
            v.check_range("maximumRetryAttempts", params["MaximumRetryAttempts"], -1, 10000)
            doc["MaximumRetryAttempts"] = params["MaximumRetryAttempts"]
        if "MaximumRecordAgeInSeconds" in params:
            age = params["MaximumRecordAgeInSeconds"]
            v.check_range("maximumRecordAgeInSeconds", age, -1, 604800)
            if 0 <= age < 60:
                raise v.invalid("MaximumRecordAgeInSeconds must be -1 or between 60 and 604800.")
            doc["MaximumRecordAgeInSeconds"] = age
        if "TumblingWindowInSeconds" in params:
            v.check_range("tumblingWindowInSeconds", params["TumblingWindowInSeconds"], 0, 900)
            doc["TumblingWindowInSeconds"] = params["TumblingWindowInSeconds"]
        if "DestinationConfig" in params:
            dests = params["DestinationConfig"] or {}
            if (dests.get("OnSuccess") or {}).get("Destination"):
                raise v.invalid("Unsupported OnSuccess destination for given event source mapping type.")
            target = (dests.get("OnFailure") or {}).get("Destination")
            if target and not _DESTINATION.match(target):
                raise v.invalid(f"The destination ARN {target} is invalid.")
            doc["DestinationConfig"] = {"OnFailure": {"Destination": target} if target else {}}

    # -- operations ---------------------------------------------------------------------------

    async def create_event_source_mapping(self, ctx: RequestContext, params: dict) -> dict:
        source = params.get("EventSourceArn")
        if not source:
            if params.get("SelfManagedEventSource"):
                raise v.invalid("nubis does not poll self-managed Apache Kafka event sources yet.")
            raise v.invalid("Unrecognized event source, must be kinesis, dynamodb stream or sqs.")
        kind = source_kind(source)
        if kind is None:
            m = _SOURCE.match(source)
            if m is not None and m.group(1) in ("kafka", "mq", "rds"):
                raise v.invalid(f"nubis does not poll {m.group(1)} event sources yet.")
            raise v.invalid("Unrecognized event source, must be kinesis, dynamodb stream or sqs.")
        function_arn = self._target(ctx, params["FunctionName"])
        position = params.get("StartingPosition")
        if kind == "sqs":
            if position:
                raise v.invalid("StartingPosition is not valid for SQS event sources.")
        else:
            if not position:
                raise v.invalid("StartingPosition is required for Kinesis and DynamoDB Streams event sources.")
            if position not in ("TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"):
                raise v.validation("startingPosition", position,
                                   "satisfy enum value set: [TRIM_HORIZON, LATEST, AT_TIMESTAMP]")
            if position == "AT_TIMESTAMP" and kind == "dynamodb":
                raise v.invalid("Unsupported starting position for DynamoDB streams: AT_TIMESTAMP")
            if position == "AT_TIMESTAMP" and params.get("StartingPositionTimestamp") is None:
                raise v.invalid("StartingPositionTimestamp must be provided with StartingPosition AT_TIMESTAMP.")
        tags = params.get("Tags") or {}
        if len(tags) > 50:
            raise v.invalid("Number of tags exceeds resource tag limit.")
        fifo = await self._check_source(ctx, kind, source)
        uuid = str(uuids.uuid4())
        now = self.clock.now()
        doc: dict = {"UUID": uuid, "BatchSize": DEFAULT_BATCH[kind], "MaximumBatchingWindowInSeconds": 0,
                     "EventSourceArn": source, "FunctionArn": function_arn, "LastModified": now}
        if kind != "sqs":
            doc.update(StartingPosition=position, ParallelizationFactor=1, LastProcessingResult="No records processed",
                       DestinationConfig={"OnFailure": {}}, MaximumRecordAgeInSeconds=-1,
                       BisectBatchOnFunctionError=False, MaximumRetryAttempts=-1, TumblingWindowInSeconds=0)
            if position == "AT_TIMESTAMP":
                doc["StartingPositionTimestamp"] = to_datetime(params["StartingPositionTimestamp"]).timestamp()
        doc["FunctionResponseTypes"] = []
        self._apply_settings(kind, fifo, doc, params)
        for other in self.mappings.list(ctx.account, ctx.region, source_arn=source):
            if other["FunctionArn"] == function_arn:
                raise v.conflict(_duplicate(kind, source, function_arn, other["UUID"]))
        enabled = params.get("Enabled", True)
        doc.update(State="Enabled" if enabled else "Disabled", StateTransitionReason="USER_INITIATED",
                   EventSourceMappingArn=self.mapping_arn(ctx.region, ctx.account, uuid))
        self.mappings.save(ctx.account, ctx.region, doc, dict(tags), now)
        self.pollers.sync(ctx.account, ctx.region, doc)
        return dict(doc, State="Creating")

    def _mapping(self, uuid: str, ctx: RequestContext) -> tuple[dict, dict, float]:
        found = self.mappings.get(uuid or "")
        if found is None or (found[0], found[1]) != (ctx.account, ctx.region):
            raise _not_found()
        return found[2], found[3], found[4]

    def get_event_source_mapping(self, ctx: RequestContext, params: dict) -> dict:
        return self._mapping(params["UUID"], ctx)[0]

    async def update_event_source_mapping(self, ctx: RequestContext, params: dict) -> dict:
        doc, tags, created = self._mapping(params["UUID"], ctx)
        doc = dict(doc)
        kind = source_kind(doc["EventSourceArn"])
        if params.get("FunctionName"):
            doc["FunctionArn"] = self._target(ctx, params["FunctionName"])
        fifo = kind == "sqs" and doc["EventSourceArn"].endswith(".fifo")
        self._apply_settings(kind, fifo, doc, params)
        answer = "Updating"
        if "Enabled" in params:
            was = doc["State"]
            doc["State"] = "Enabled" if params["Enabled"] else "Disabled"
            if was != doc["State"]:
                answer = "Enabling" if params["Enabled"] else "Disabling"
        doc["LastModified"] = self.clock.now()
        doc["StateTransitionReason"] = "USER_INITIATED"
        self.mappings.save(ctx.account, ctx.region, doc, tags, created)
        self.pollers.sync(ctx.account, ctx.region, doc)
        return dict(doc, State=answer)

    def delete_event_source_mapping(self, ctx: RequestContext, params: dict) -> dict:
        doc = self._mapping(params["UUID"], ctx)[0]
        self.mappings.delete(doc["UUID"])
        self.pollers.stop(doc["UUID"])
        return dict(doc, State="Deleting")

    def list_event_source_mappings(self, ctx: RequestContext, params: dict) -> dict:
        limit = params.get("MaxItems") or 100
        v.check_range("maxItems", limit, 1, 10000)
        function_arn = None
        if params.get("FunctionName"):
            fn, qualifier = self.function(ctx, params["FunctionName"])
            function_arn = fn.arn + (f":{qualifier}" if qualifier else "")
        docs = self.mappings.list(ctx.account, ctx.region, function_arn, params.get("EventSourceArn"))
        start = 0
        if params.get("Marker"):
            try:
                after = base64.urlsafe_b64decode(params["Marker"].encode()).decode()
            except (ValueError, UnicodeDecodeError):
                raise v.invalid("Invalid marker.") from None
            start = next((i + 1 for i, d in enumerate(docs) if d["UUID"] == after), len(docs))
        page = docs[start:start + limit]
        out: dict = {"EventSourceMappings": page}
        if start + limit < len(docs):
            out["NextMarker"] = base64.urlsafe_b64encode(page[-1]["UUID"].encode()).decode()
        return out

    # -- tags (TagResource and friends, for an event-source-mapping ARN) ------------------------

    def mapping_tags(self, ctx: RequestContext, resource: str, add: dict | None = None,
                     remove: list | None = None) -> dict:
        """TagResource (``add``), UntagResource (``remove``) or ListTags of a mapping."""
        uuid = resource.rsplit(":", 1)[-1]
        found = self.mappings.get(uuid)
        if found is None or (found[0], found[1]) != (ctx.account, ctx.region):
            raise v.not_found(f"Event source mapping not found: {resource}")
        account, region, doc, tags, created = found
        if add is not None or remove is not None:
            tags = {k: val for k, val in tags.items() if k not in set(remove or ())}
            tags.update(add or {})
            if len(tags) > 50:
                raise v.invalid("Number of tags exceeds resource tag limit.")
            self.mappings.save(account, region, doc, tags, created)
            return {}
        return {"Tags": tags}
