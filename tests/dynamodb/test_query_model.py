"""Property test: Query and Scan over random items and key conditions return what a
plain Python model of the same table returns, in DynamoDB's order, across pages."""
from __future__ import annotations

import itertools
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

_names = itertools.count()

numbers = st.one_of(
    st.integers(-1000, 1000).map(Decimal),
    st.decimals(min_value=Decimal("-1e6"), max_value=Decimal("1e6"), allow_nan=False, allow_infinity=False,
                places=3),
    st.sampled_from([Decimal("1e-130"), Decimal("-1e-130"), Decimal("9.99e125"), Decimal("-9.99e125"),
                     Decimal("0.1"), Decimal("-0.1")]))
strings = st.text(alphabet="ab\u00e9\U0001f600z", min_size=1, max_size=4)
OPS = ["=", "<", "<=", ">", ">=", "BETWEEN", "begins_with", None]


def order_key(kind, v):
    return v if kind == "N" else v.encode("utf-8")


def sort_key(kind, item):
    """The model's key of an item as it came back."""
    return order_key(kind, Decimal(item["sk"]["N"]) if kind == "N" else item["sk"]["S"])


def wire(kind, v):
    return {kind: str(v) if kind == "N" else v}


def matches(kind, op, v, args):
    k = order_key(kind, v)
    a = [order_key(kind, x) for x in args]
    if op is None:
        return True
    if op == "begins_with":
        return v.startswith(args[0])
    if op == "BETWEEN":
        return a[0] <= k <= a[1]
    return {"=": k == a[0], "<": k < a[0], "<=": k <= a[0], ">": k > a[0], ">=": k >= a[0]}[op]


@st.composite
def cases(draw):
    kind = draw(st.sampled_from(["N", "S"]))
    values = numbers if kind == "N" else strings
    rows = draw(st.lists(st.tuples(st.sampled_from(["p", "q", "r"]), values, st.integers(0, 3)), max_size=40))
    op = draw(st.sampled_from([o for o in OPS if not (o == "begins_with" and kind == "N")]))
    args = [draw(values)]
    if op == "BETWEEN":
        args.append(draw(values))
        args.sort(key=lambda x: order_key(kind, x))
    forward = draw(st.booleans())
    limit = draw(st.one_of(st.none(), st.integers(1, 7)))
    return kind, rows, op, args, forward, limit


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=cases())
def test_query_and_scan_match_a_model(ddb, case):
    kind, rows, op, args, forward, limit = case
    name = f"model-{next(_names)}"
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "sk", "AttributeType": kind}])
    try:
        model: dict = {}
        for pk, sk, tag in rows:
            model[(pk, order_key(kind, sk))] = (sk, tag)   # a later put replaces the item
            ddb.put_item(TableName=name, Item={"pk": {"S": pk}, "sk": wire(kind, sk), "tag": {"N": str(tag)}})

        expected = sorted(((k[1], v) for k, v in model.items() if k[0] == "p" and matches(kind, op, v[0], args)),
                          key=lambda e: e[0], reverse=not forward)
        expr = "pk = :p"
        values = {":p": {"S": "p"}}
        if op == "BETWEEN":
            expr += " AND sk BETWEEN :a AND :b"
            values.update({":a": wire(kind, args[0]), ":b": wire(kind, args[1])})
        elif op == "begins_with":
            expr += " AND begins_with(sk, :a)"
            values[":a"] = wire(kind, args[0])
        elif op is not None:
            expr += f" AND sk {op} :a"
            values[":a"] = wire(kind, args[0])
        got, start = [], None
        while True:
            kwargs = {"ExclusiveStartKey": start} if start else {}
            if limit:
                kwargs["Limit"] = limit
            page = ddb.query(TableName=name, KeyConditionExpression=expr, ExpressionAttributeValues=values,
                             ScanIndexForward=forward, **kwargs)
            assert page["Count"] == len(page["Items"]) <= (limit or 10**6)
            got += page["Items"]
            start = page.get("LastEvaluatedKey")
            if not start:
                break
        assert [(sort_key(kind, i), int(i["tag"]["N"])) for i in got] == [(k, v[1]) for k, v in expected]

        # A filtered count agrees too, and a scan sees every item once.
        filtered = ddb.query(TableName=name, KeyConditionExpression=expr, ExpressionAttributeValues={
            **values, ":t": {"N": "1"}}, FilterExpression="tag >= :t", Select="COUNT")
        assert filtered["Count"] == sum(1 for _, v in expected if v[1] >= 1)
        assert filtered["ScannedCount"] == len(expected)
        scanned = [i for p in ddb.get_paginator("scan").paginate(TableName=name, PaginationConfig={"PageSize": 5})
                   for i in p["Items"]]
        assert sorted((i["pk"]["S"], sort_key(kind, i)) for i in scanned) == sorted(model)
    finally:
        ddb.delete_table(TableName=name)


@st.composite
def index_cases(draw):
    rows = draw(st.lists(st.tuples(st.integers(0, 30), st.sampled_from(["x", "x", "y", None]),
                                   st.sampled_from([None, *range(-5, 6)])), min_size=3, max_size=30))
    op = draw(st.sampled_from(["<", ">=", "BETWEEN", None]))
    args = sorted(draw(st.lists(st.integers(-6, 6), min_size=2, max_size=2)))
    return rows, op, args, draw(st.booleans()), draw(st.one_of(st.none(), st.integers(1, 4)))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=index_cases())
def test_global_index_queries_match_a_model(ddb, case):
    rows, op, args, forward, limit = case
    name = f"gsi-model-{next(_names)}"
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "N"},
                                           {"AttributeName": "g", "AttributeType": "S"},
                                           {"AttributeName": "gs", "AttributeType": "N"}],
                     GlobalSecondaryIndexes=[{"IndexName": "by-g", "Projection": {"ProjectionType": "KEYS_ONLY"},
                                              "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                                                            {"AttributeName": "gs", "KeyType": "RANGE"}]}])
    try:
        model: dict = {}
        for i, g, gs in rows:
            item = {"id": {"N": str(i)}}
            if g is not None:
                item["g"] = {"S": g}
            if gs is not None:
                item["gs"] = {"N": str(gs)}
            model[i] = (g, gs)          # a later put replaces the item, and its index entry
            ddb.put_item(TableName=name, Item=item)
        in_index = {i: gs for i, (g, gs) in model.items() if g == "x" and gs is not None}
        expected = {i: gs for i, gs in in_index.items()
                    if op is None or (op == "<" and gs < args[0]) or (op == ">=" and gs >= args[0])
                    or (op == "BETWEEN" and args[0] <= gs <= args[1])}
        expr, values = "g = :g", {":g": {"S": "x"}}
        if op == "BETWEEN":
            expr += " AND gs BETWEEN :a AND :b"
            values.update({":a": {"N": str(args[0])}, ":b": {"N": str(args[1])}})
        elif op is not None:
            expr += f" AND gs {op} :a"
            values[":a"] = {"N": str(args[0])}
        got, start = [], None
        while True:
            kwargs = {"ExclusiveStartKey": start} if start else {}
            if limit:
                kwargs["Limit"] = limit
            page = ddb.query(TableName=name, IndexName="by-g", KeyConditionExpression=expr,
                             ExpressionAttributeValues=values, ScanIndexForward=forward, **kwargs)
            got += page["Items"]
            start = page.get("LastEvaluatedKey")
            if not start:
                break
        assert all(set(i) == {"id", "g", "gs"} for i in got)
        got_gs = [int(i["gs"]["N"]) for i in got]
        assert got_gs == sorted(got_gs, reverse=not forward)
        assert sorted(int(i["id"]["N"]) for i in got) == sorted(expected)
        assert {int(i["id"]["N"]): int(i["gs"]["N"]) for i in got} == expected
    finally:
        ddb.delete_table(TableName=name)
