"""A table's definition: CreateTable's validation, the in-memory ``Table``
the item operations read, and DescribeTable's document.

The definition is stored as JSON in the shape CreateTable takes (key schema,
attribute definitions, billing, indexes, stream, class, protection); what the
hot path needs (key names, index keys and projections) is derived once here.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

from ...protocol.errors import ServiceError

_NAME = re.compile(r"^[a-zA-Z0-9_.-]+$")
INVALID = "One or more parameter values were invalid: "
MAX_GSI = 20
MAX_LSI = 5


def validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message, 400)


def require(value, where: str):
    """A member the model requires, with the message DynamoDB's validation gives when it is missing."""
    if value is None:
        raise validation(f"1 validation error detected: Value null at '{where}' failed to satisfy constraint: "
                         "Member must not be null")
    return value


def one_of(value, where: str, allowed: tuple) -> None:
    if value is not None and value not in allowed:
        raise validation(f"1 validation error detected: Value '{value}' at '{where}' failed to satisfy constraint: "
                         f"Member must satisfy enum value set: [{', '.join(allowed)}]")


def not_found(name: str | None = None) -> ServiceError:
    if name is None:
        return ServiceError("ResourceNotFoundException", "Requested resource not found", 400)
    return ServiceError("ResourceNotFoundException", f"Requested resource not found: Table: {name} not found", 400)


def check_table_name(name, member: str = "tableName") -> None:
    if name is None:
        raise validation(f"1 validation error detected: Value null at '{member}' failed to satisfy constraint: "
                         "Member must not be null")
    if len(name) < 3 or len(name) > 255:
        bound = "greater than or equal to 3" if len(name) < 3 else "less than or equal to 255"
        raise validation(f"1 validation error detected: Value '{name}' at '{member}' failed to satisfy constraint: "
                         f"Member must have length {bound}")
    if not _NAME.match(name):
        raise validation(f"1 validation error detected: Value '{name}' at '{member}' failed to satisfy constraint: "
                         "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")


@dataclass
class Index:
    name: str
    kind: str                  # "GSI" or "LSI"
    hash_name: str
    range_name: str | None
    projection: str            # ALL, KEYS_ONLY, INCLUDE
    non_key: tuple = ()


@dataclass
class Table:
    id: int
    account: str
    region: str
    name: str
    definition: dict
    created: float
    tags: dict = field(default_factory=dict)
    ttl: dict | None = None
    policy: str | None = None
    # Derived from the definition (``derive``).
    arn: str = ""
    hash_name: str = ""
    range_name: str | None = None
    hash_type: str | None = None   # the key attributes' types (S, N or B)
    range_type: str | None = None
    types: dict = field(default_factory=dict)
    indexes: dict = field(default_factory=dict)
    key_schema: list = field(default_factory=list)
    # [ItemCount, TableSizeBytes], counted on first use and kept up to date by
    # every write after that (None again after a rollback).
    stats: list | None = None
    # What sees every change of an item: the stream, the TTL index, the
    # replication (streams.py ``follow``); empty for most tables.
    watchers: tuple = ()

    def __post_init__(self):
        self.derive()

    def derive(self) -> None:
        d = self.definition
        self.arn = f"arn:aws:dynamodb:{self.region}:{self.account}:table/{self.name}"
        self.key_schema = d["KeySchema"]
        self.hash_name, self.range_name = key_names(d["KeySchema"])
        self.types = {a["AttributeName"]: a["AttributeType"] for a in d["AttributeDefinitions"]}
        self.hash_type, self.range_type = self.types.get(self.hash_name), self.types.get(self.range_name)
        self.indexes = {}
        for kind, member in (("GSI", "GlobalSecondaryIndexes"), ("LSI", "LocalSecondaryIndexes")):
            for ix in d.get(member) or ():
                h, r = key_names(ix["KeySchema"])
                p = ix.get("Projection") or {}
                self.indexes[ix["IndexName"]] = Index(ix["IndexName"], kind, h, r, p.get("ProjectionType", "ALL"),
                                                      tuple(p.get("NonKeyAttributes") or ()))

    def index_key_schema(self, name: str) -> list:
        for member in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            for ix in self.definition.get(member) or ():
                if ix["IndexName"] == name:
                    return ix["KeySchema"]
        raise KeyError(name)

    def key_attributes(self, index: Index | None = None) -> set:
        names = {self.hash_name}
        if self.range_name:
            names.add(self.range_name)
        if index is not None:
            names.add(index.hash_name)
            if index.range_name:
                names.add(index.range_name)
        return names


def key_names(key_schema: list) -> tuple[str, str | None]:
    h = next((k["AttributeName"] for k in key_schema if k.get("KeyType") == "HASH"), None)
    r = next((k["AttributeName"] for k in key_schema if k.get("KeyType") == "RANGE"), None)
    return h, r


def _check_key_schema(key_schema, defined: dict, where: str = "") -> None:
    for i, k in enumerate(key_schema or (), 1):
        require(k.get("AttributeName"), f"keySchema.{i}.member.attributeName")
        require(k.get("KeyType"), f"keySchema.{i}.member.keyType")
        one_of(k["KeyType"], f"keySchema.{i}.member.keyType", ("HASH", "RANGE"))
    if not key_schema:
        raise validation("1 validation error detected: Value null at 'keySchema' failed to satisfy constraint: "
                         "Member must not be null" if key_schema is None else
                         "1 validation error detected: Value '[]' at 'keySchema' failed to satisfy constraint: "
                         "Member must have length greater than or equal to 1")
    if len(key_schema) > 2:
        raise validation(f"1 validation error detected: Value '{key_schema}' at 'keySchema' failed to satisfy "
                         "constraint: Member must have length less than or equal to 2")
    if key_schema[0].get("KeyType") != "HASH":
        raise validation("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
    if len(key_schema) == 2:
        if key_schema[1].get("KeyType") != "RANGE":
            raise validation("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
        if key_schema[0]["AttributeName"] == key_schema[1]["AttributeName"]:
            raise validation(f"{INVALID}Both the Hash Key and the Range Key element in the KeySchema have the "
                             f"same name{where}")
    missing = [k["AttributeName"] for k in key_schema if k["AttributeName"] not in defined]
    if missing:
        raise validation(f"{INVALID}Some index key attributes are not defined in AttributeDefinitions. "
                         f"Keys: [{', '.join(k['AttributeName'] for k in key_schema)}], AttributeDefinitions: "
                         f"[{', '.join(defined)}]")


def _check_projection(ix: dict) -> None:
    p = ix.get("Projection")
    if p is None:
        raise validation("1 validation error detected: Value null at 'projection' failed to satisfy "
                         "constraint: Member must not be null")
    kind = p.get("ProjectionType")
    non_key = p.get("NonKeyAttributes")
    if kind in ("ALL", "KEYS_ONLY") and non_key:
        raise validation(f"{INVALID}ProjectionType is {kind}, but NonKeyAttributes is specified")
    if kind == "INCLUDE" and not non_key:
        raise validation(f"{INVALID}ProjectionType is INCLUDE, but NonKeyAttributes is not specified")
    if kind is None:
        raise validation(f"{INVALID}Unknown ProjectionType: null")


def check_throughput(pt: dict | None, billing: str, index: str | None = None) -> None:
    if billing == "PAY_PER_REQUEST":
        if pt is not None:
            if index is None:
                raise validation(f"{INVALID}Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when "
                                 "BillingMode is PAY_PER_REQUEST")
            raise validation(f"{INVALID}ProvisionedThroughput should not be specified for index: {index} when "
                             "BillingMode is PAY_PER_REQUEST")
        return
    if pt is None:
        if index is None:
            raise validation("No provisioned throughput specified for the table")
        raise validation(f"{INVALID}ProvisionedThroughput must be specified for index: {index}")
    bad = [(k, pt.get(k)) for k in ("WriteCapacityUnits", "ReadCapacityUnits") if (pt.get(k) or 0) < 1]
    if bad:
        where = "provisionedThroughput" if index is None else "globalSecondaryIndexes.1.member.provisionedThroughput"
        raise validation(f"{len(bad)} validation error{'s' if len(bad) > 1 else ''} detected: " + "; ".join(
            f"Value {'null' if v is None else repr(str(v))} at '{where}.{k[0].lower()}{k[1:]}' failed to satisfy constraint: Member must have value "
            "greater than or equal to 1" for k, v in bad))


def validate_create(params: dict) -> dict:
    """CreateTable's checks, in the order DynamoDB makes them; the definition to store."""
    name = params.get("TableName")
    check_table_name(name)
    attr_defs = params.get("AttributeDefinitions")
    if attr_defs is None:
        raise validation("1 validation error detected: Value null at 'attributeDefinitions' failed to satisfy "
                         "constraint: Member must not be null")
    defined: dict = {}
    for i, a in enumerate(attr_defs, 1):
        require(a.get("AttributeName"), f"attributeDefinitions.{i}.member.attributeName")
        require(a.get("AttributeType"), f"attributeDefinitions.{i}.member.attributeType")
        t = a.get("AttributeType")
        if t not in ("S", "N", "B"):
            raise validation(f"1 validation error detected: Value '{t}' at 'attributeDefinitions.1.member."
                             "attributeType' failed to satisfy constraint: Member must satisfy enum value set: "
                             "[B, N, S]")
        if a["AttributeName"] in defined:
            raise validation("Cannot have two attributes with the same name")
        defined[a["AttributeName"]] = t
    key_schema = params.get("KeySchema")
    _check_key_schema(key_schema, defined)
    one_of(params.get("BillingMode"), "billingMode", ("PROVISIONED", "PAY_PER_REQUEST"))
    one_of(params.get("TableClass"), "tableClass", ("STANDARD", "STANDARD_INFREQUENT_ACCESS"))
    billing = params.get("BillingMode") or "PROVISIONED"
    check_throughput(params.get("ProvisionedThroughput"), billing)
    used = {k["AttributeName"] for k in key_schema}
    names: set = set()
    gsis = params.get("GlobalSecondaryIndexes")
    lsis = params.get("LocalSecondaryIndexes")
    if gsis is not None and len(gsis) == 0:
        raise validation(f"{INVALID}List of GlobalSecondaryIndexes is empty")
    if lsis is not None and len(lsis) == 0:
        raise validation(f"{INVALID}List of LocalSecondaryIndexes is empty")
    if gsis and len(gsis) > MAX_GSI:
        raise validation(f"{INVALID}GlobalSecondaryIndex count exceeds the per-table limit of {MAX_GSI}")
    if lsis and len(lsis) > MAX_LSI:
        raise validation(f"{INVALID}LocalSecondaryIndex count exceeds the per-table limit of {MAX_LSI}")
    table_hash, table_range = key_names(key_schema)
    for ix in lsis or ():
        check_index_name(ix.get("IndexName"))
        if ix["IndexName"] in names:
            raise validation(f"{INVALID}Duplicate index name: {ix['IndexName']}")
        names.add(ix["IndexName"])
        _check_key_schema(ix.get("KeySchema"), defined)
        if table_range is None:
            raise validation(f"{INVALID}Table KeySchema does not have a range key, which is required when "
                             "specifying a LocalSecondaryIndex")
        h, r = key_names(ix["KeySchema"])
        if h != table_hash:
            raise validation(f"{INVALID}Index KeySchema does not have the same leading hash key as table KeySchema "
                             f"for index: {ix['IndexName']}. index hash key: {h}, table hash key: {table_hash}")
        if r is None:
            raise validation(f"{INVALID}Index KeySchema does not have a range key for index: {ix['IndexName']}")
        _check_projection(ix)
        used.update(k["AttributeName"] for k in ix["KeySchema"])
    for ix in gsis or ():
        check_index_name(ix.get("IndexName"))
        if ix["IndexName"] in names:
            raise validation(f"{INVALID}Duplicate index name: {ix['IndexName']}")
        names.add(ix["IndexName"])
        _check_key_schema(ix.get("KeySchema"), defined)
        _check_projection(ix)
        check_throughput(ix.get("ProvisionedThroughput"), billing, ix["IndexName"])
        used.update(k["AttributeName"] for k in ix["KeySchema"])
    if set(defined) - used:
        raise validation(f"{INVALID}Number of attributes in KeySchema does not exactly match number of attributes "
                         "defined in AttributeDefinitions")
    stream = params.get("StreamSpecification")
    if stream and not stream.get("StreamEnabled") and stream.get("StreamViewType"):
        raise validation(f"{INVALID}Table is being created with a stream disabled, UpdateViewType should not be "
                         "specified")
    if stream and stream.get("StreamEnabled") and not stream.get("StreamViewType"):
        raise validation("StreamSpecification: StreamViewType must be specified when StreamEnabled is true")
    definition = {
        "KeySchema": key_schema,
        "AttributeDefinitions": attr_defs,
        "BillingMode": billing,
        "ProvisionedThroughput": params.get("ProvisionedThroughput"),
        "GlobalSecondaryIndexes": gsis or [],
        "LocalSecondaryIndexes": lsis or [],
        "TableClass": params.get("TableClass") or "STANDARD",
        "DeletionProtectionEnabled": bool(params.get("DeletionProtectionEnabled")),
        "TableId": str(uuid.uuid4()),
        "SSESpecification": params.get("SSESpecification"),
    }
    if stream and stream.get("StreamEnabled"):
        definition["StreamSpecification"] = stream
    return definition


def check_index_name(name) -> None:
    if not name or len(name) < 3 or len(name) > 255 or not _NAME.match(name):
        raise validation(f"1 validation error detected: Value '{name}' at 'indexName' failed to satisfy "
                         "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")


def stream_label(now: float) -> str:
    return datetime.fromtimestamp(now, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


def _throughput(pt: dict | None, billing: str) -> dict:
    out = {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 0, "WriteCapacityUnits": 0}
    if billing != "PAY_PER_REQUEST" and pt:
        out["ReadCapacityUnits"] = pt["ReadCapacityUnits"]
        out["WriteCapacityUnits"] = pt["WriteCapacityUnits"]
    return out


def describe(t: Table, counts, status: str = "ACTIVE", index_status: dict | None = None) -> dict:
    """DescribeTable's ``Table``; ``counts(index_name | None) -> (items, bytes)``."""
    d = t.definition
    billing = d["BillingMode"]
    items, size = counts(None)
    out = {
        "TableName": t.name,
        "TableArn": t.arn,
        "TableId": d["TableId"],
        "TableStatus": status,
        "CreationDateTime": t.created,
        "KeySchema": d["KeySchema"],
        "AttributeDefinitions": d["AttributeDefinitions"],
        "ProvisionedThroughput": _throughput(d.get("ProvisionedThroughput"), billing),
        "TableSizeBytes": size,
        "ItemCount": items,
        "DeletionProtectionEnabled": d.get("DeletionProtectionEnabled", False),
        "TableClassSummary": {"TableClass": d.get("TableClass", "STANDARD")},
    }
    if billing == "PAY_PER_REQUEST":
        out["BillingModeSummary"] = {"BillingMode": "PAY_PER_REQUEST",
                                     "LastUpdateToPayPerRequestDateTime": d.get("PayPerRequestSince", t.created)}
    gsis = []
    for ix in d.get("GlobalSecondaryIndexes") or ():
        n, s = counts(ix["IndexName"])
        gsis.append({
            "IndexName": ix["IndexName"], "KeySchema": ix["KeySchema"], "Projection": ix["Projection"],
            "IndexStatus": (index_status or {}).get(ix["IndexName"], "ACTIVE"), "Backfilling": False,
            "ProvisionedThroughput": _throughput(ix.get("ProvisionedThroughput"), billing),
            "IndexSizeBytes": s, "ItemCount": n, "IndexArn": f"{t.arn}/index/{ix['IndexName']}"})
        if (index_status or {}).get(ix["IndexName"]) != "CREATING":
            gsis[-1].pop("Backfilling")
    if gsis:
        out["GlobalSecondaryIndexes"] = gsis
    lsis = []
    for ix in d.get("LocalSecondaryIndexes") or ():
        n, s = counts(ix["IndexName"])
        lsis.append({"IndexName": ix["IndexName"], "KeySchema": ix["KeySchema"], "Projection": ix["Projection"],
                     "IndexSizeBytes": s, "ItemCount": n, "IndexArn": f"{t.arn}/index/{ix['IndexName']}"})
    if lsis:
        out["LocalSecondaryIndexes"] = lsis
    stream = d.get("StreamSpecification")
    if stream and stream.get("StreamEnabled"):
        out["StreamSpecification"] = stream
        out["LatestStreamLabel"] = d["StreamLabel"]
        out["LatestStreamArn"] = f"{t.arn}/stream/{d['StreamLabel']}"
    if d.get("Replicas"):  # a global table's other Regions (global_tables.py)
        out["GlobalTableVersion"] = d.get("GlobalTableVersion", "2019.11.21")
        out["Replicas"] = [{"RegionName": r, "ReplicaStatus": "ACTIVE"} for r in d["Replicas"]]
    sse = d.get("SSESpecification")
    if sse and sse.get("Enabled"):
        out["SSEDescription"] = {"Status": "ENABLED", "SSEType": sse.get("SSEType", "KMS"),
                                 "KMSMasterKeyArn": sse.get("KMSMasterKeyId")
                                 or f"arn:aws:kms:{t.region}:{t.account}:key/aws-dynamodb"}
    if d.get("RestoreSummary"):
        out["RestoreSummary"] = d["RestoreSummary"]
    return out
