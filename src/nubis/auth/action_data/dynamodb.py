"""Amazon DynamoDB ("Actions, resources, and condition keys for Amazon DynamoDB").

Item operations also carry the fine-grained access keys (developer guide, "Using
IAM policy conditions for fine-grained access control"): ``dynamodb:LeadingKeys``
(the partition key values touched), ``dynamodb:Attributes``, ``dynamodb:Select``,
``dynamodb:ReturnValues``. Batches and transactions are checked per table, a
transaction's items as the single-item action each one is.
"""
from __future__ import annotations

import base64
import re

from ..actions import _call
from ..generic_authz import _values as _values_of

PREFIX = "dynamodb"
ACTIONS: dict = {}
_TABLE = "arn:aws:dynamodb:{region}:{account}:table/{value}"
PARAMS = [("TableName", _TABLE), ("ResourceArn", None), ("TableArn", None), ("StreamArn", None),
          ("BackupArn", None), ("ExportArn", None), ("ImportArn", None),
          ("GlobalTableName", "arn:aws:dynamodb::{account}:global-table/{value}")]
RESOURCES = {"CreateBackup": [("TableName", _TABLE)], "ExportTableToPointInTime": [("TableArn", None)],
             "ImportTable": [("TableCreationParameters.TableName", _TABLE)],
             "RestoreTableFromBackup": [("TargetTableName", _TABLE)],
             "RestoreTableToPointInTime": [("TargetTableName", _TABLE)]}


def POLICY(runtime, ctx, account: str, region: str, arn: str):
    """The table's resource policy (also for its indexes); a stream has its own."""
    if "/index/" in arn:
        arn = arn.split("/index/", 1)[0]
    out = _call(runtime, ctx, "dynamodb", "GetResourcePolicy", account, region, {"ResourceArn": arn})
    return (out or {}).get("Policy")


NO_POLICY_OPS = frozenset({"CreateTable"})

_ITEM_OPS = {"GetItem": "Key", "DeleteItem": "Key", "UpdateItem": "Key", "PutItem": "Item"}
_TRANSACT = {"Put": "dynamodb:PutItem", "Update": "dynamodb:UpdateItem", "Delete": "dynamodb:DeleteItem",
             "ConditionCheck": "dynamodb:ConditionCheckItem", "Get": "dynamodb:GetItem"}
# PartiQL statements are dynamodb:PartiQL<Verb> on the table they name (the developer
# guide's "IAM security policies with PartiQL for DynamoDB").
_PARTIQL = {"ExecuteStatement": "Statement", "BatchExecuteStatement": "Statements[].Statement",
            "ExecuteTransaction": "TransactStatements[].Statement"}
_STATEMENT = re.compile(r'\s*(?:(UPDATE)\s+|(SELECT|DELETE|INSERT)\b.*?\b(?:FROM|INTO)\s+)'
                        r'(?:"([^"]+)"(?:\."([^"]+)")?|([A-Za-z0-9_-]+)(?:\.([A-Za-z0-9_.-]+))?)',
                        re.IGNORECASE | re.DOTALL)
_NAME = re.compile(r"#[A-Za-z0-9_]+|[A-Za-z_][A-Za-z0-9_]*")


def _table_arn(name: str, region: str, account: str) -> str:
    return name if name.startswith("arn:") else f"arn:aws:dynamodb:{region}:{account}:table/{name}"


def _hash_name(runtime, ctx, arn: str) -> str | None:
    parts = arn.split(":", 5)
    out = _call(runtime, ctx, "dynamodb", "DescribeTable", parts[4], parts[3],
                {"TableName": parts[5].split("/")[1]})
    for k in ((out or {}).get("Table") or {}).get("KeySchema") or ():
        if k.get("KeyType") == "HASH":
            return k.get("AttributeName")
    return None


def _scalar(value) -> str | None:
    if not isinstance(value, dict) or len(value) != 1:
        return None
    (kind, v), = value.items()
    if kind == "B" and isinstance(v, (bytes, bytearray)):
        return base64.b64encode(v).decode()
    return str(v) if kind in ("S", "N", "B") else None


def _names(expression, aliases: dict) -> list[str]:
    """Attribute names an expression mentions (top-level names of its paths)."""
    if not expression:
        return []
    out = []
    for piece in re.split(r"[,\s()=<>+\-]+", re.sub(r":[A-Za-z0-9_]+", " ", expression)):
        m = _NAME.match(piece) if piece else None
        if m is None:
            continue
        word = m.group(0)
        if word.upper() in ("SET", "REMOVE", "ADD", "DELETE", "AND", "OR", "NOT", "BETWEEN", "IN", "IF_NOT_EXISTS",
                            "LIST_APPEND", "ATTRIBUTE_EXISTS", "ATTRIBUTE_NOT_EXISTS", "ATTRIBUTE_TYPE",
                            "BEGINS_WITH", "CONTAINS", "SIZE"):
            continue
        out.append(aliases.get(word, word))
    return out


def _query_keys(params: dict, hash_name: str) -> list[str]:
    aliases, values = params.get("ExpressionAttributeNames") or {}, params.get("ExpressionAttributeValues") or {}
    expression = params.get("KeyConditionExpression")
    if expression:
        for left, right in re.findall(r"([#A-Za-z0-9_.]+)\s*=\s*(:[A-Za-z0-9_]+)", expression):
            if aliases.get(left, left) == hash_name and _scalar(values.get(right)) is not None:
                return [_scalar(values[right])]
        return []
    cond = (params.get("KeyConditions") or {}).get(hash_name) or {}
    return [v for v in map(_scalar, cond.get("AttributeValueList") or ()) if v is not None]


def _keys(leading: list, attributes: list | None, params: dict) -> dict:
    keys: dict = {"dynamodb:LeadingKeys": leading}
    if attributes:
        keys["dynamodb:Attributes"] = sorted(set(attributes))
    for name in ("Select", "ReturnValues"):
        if params.get(name):
            keys["dynamodb:" + name] = params[name]
    return keys


def _attributes(params: dict, item: dict | None) -> list:
    aliases = params.get("ExpressionAttributeNames") or {}
    names = list(item or ()) + list(params.get("AttributesToGet") or ())
    names += _names(params.get("ProjectionExpression"), aliases)
    names += _names(params.get("UpdateExpression"), aliases)
    names += list(params.get("AttributeUpdates") or ())
    return names


def checks(runtime, ctx, params: dict, action: str):
    """[(action, resource, condition keys)] for item operations, batches and transactions; None: the table's
    ordinary resources."""
    op, region, account = ctx.operation, ctx.region, ctx.account
    if op in _ITEM_OPS or op in ("Query", "Scan"):
        name = params.get("TableName")
        if not name:
            return None
        arn = _table_arn(name, region, account)
        if params.get("IndexName"):
            arn += "/index/" + params["IndexName"]
        hash_name = _hash_name(runtime, ctx, arn) if op != "Scan" else None
        item = params.get(_ITEM_OPS.get(op, "")) or {}
        leading = ([_scalar(item.get(hash_name))] if op in _ITEM_OPS else
                   _query_keys(params, hash_name) if op == "Query" else [])
        return [(action, arn, _keys([v for v in leading if v is not None],
                                    _attributes(params, item if op == "PutItem" else None), params))]
    if op in ("BatchGetItem", "BatchWriteItem"):
        found = []
        for name, request in (params.get("RequestItems") or {}).items():
            arn = _table_arn(name, region, account)
            hash_name = _hash_name(runtime, ctx, arn)
            if op == "BatchGetItem":
                items = (request or {}).get("Keys") or []
                attributes = _attributes(request or {}, None)
            else:
                items = [(w.get("PutRequest") or {}).get("Item") or (w.get("DeleteRequest") or {}).get("Key") or {}
                         for w in request or ()]
                attributes = [a for w in request or () for a in ((w.get("PutRequest") or {}).get("Item") or {})]
            leading = [v for v in (_scalar(i.get(hash_name)) for i in items) if v is not None]
            found.append((action, arn, _keys(leading, attributes, params)))
        return found
    if op in _PARTIQL:
        found = []
        for statement in _values_of(params, _PARTIQL[op]):
            m = _STATEMENT.match(statement or "")
            if m is not None:
                verb, name, index = (m.group(1) or m.group(2)).title(), m.group(3) or m.group(5), \
                    m.group(4) or m.group(6)
                arn = _table_arn(name, region, account) + (f"/index/{index}" if index else "")
                found.append((f"dynamodb:PartiQL{verb}", arn, None))
        return found or None
    if op in ("TransactWriteItems", "TransactGetItems"):
        found = []
        for entry in params.get("TransactItems") or ():
            for kind, body in entry.items():
                if kind not in _TRANSACT or not isinstance(body, dict) or not body.get("TableName"):
                    continue
                arn = _table_arn(body["TableName"], region, account)
                hash_name = _hash_name(runtime, ctx, arn)
                item = body.get("Item") or body.get("Key") or {}
                leading = [v for v in [_scalar(item.get(hash_name))] if v is not None]
                found.append((_TRANSACT[kind], arn, _keys(leading, _attributes(body, body.get("Item")), body)))
        return found
    return None
