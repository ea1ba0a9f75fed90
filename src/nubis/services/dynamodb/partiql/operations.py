"""ExecuteStatement, BatchExecuteStatement and ExecuteTransaction: a PartiQL
statement parsed (``parser.py``) and run as the item operation it means, with
its conditions written as DynamoDB expressions (``render.py``). A mixin of
``DynamoDBProvider``.

A SELECT whose WHERE fixes the partition key (``pk = v`` in its top-level AND
chain) is a Query, with a sort key term as its key condition and the rest as
its filter; any other SELECT is a Scan filtered by the whole WHERE. UPDATE
and DELETE need an equality on every key attribute; UPDATE also needs the
item to exist (ConditionalCheckFailedException otherwise), INSERT needs it not
to (DuplicateItemException).
"""
from __future__ import annotations

import base64

import cbor2

from ....protocol.errors import ServiceError
from ..tables import validation
from .parser import Exists, Insert, Select, Update, malformed, parse
from .render import Renderer, conjuncts, join, key_equality, names_in

MAX_BATCH = 25
MAX_TRANSACTION = 100
_BATCH_CODES = {"ConditionalCheckFailedException": "ConditionalCheckFailed", "ValidationException": "ValidationError",
                "ResourceNotFoundException": "ResourceNotFound", "DuplicateItemException": "DuplicateItem",
                "TransactionConflictException": "TransactionConflict"}


def duplicate() -> ServiceError:
    return ServiceError("DuplicateItemException", "Duplicate primary key exists in table", 400)


def _sort_term(term: tuple, name: str) -> bool:
    """Whether a WHERE term can be a Query's sort key condition."""
    kind = term[0]
    if kind == "cmp":
        return term[1] != "<>" and term[2] == ("path", [name]) and term[3][0] == "value"
    if kind == "between":
        return term[1] == ("path", [name]) and term[2][0] == "value" and term[3][0] == "value"
    if kind == "func":
        return term[1] == "begins_with" and term[2][0] == ("path", [name]) and term[2][1][0] == "value"
    return False


class PartiQL:
    # -- ExecuteStatement -----------------------------------------------------------------

    def execute_statement(self, ctx, params: dict) -> dict:
        statement = parse(params.get("Statement"), params.get("Parameters"))
        if isinstance(statement, Exists):
            raise validation("EXISTS can be used only in ExecuteTransaction")
        if isinstance(statement, Select):
            return self._partiql_select(ctx, statement, params)
        if params.get("NextToken") is not None:
            raise validation("NextToken is only supported for SELECT statements")
        return self._partiql_write(ctx, statement, params)

    def _partiql_select(self, ctx, s: Select, params: dict) -> dict:
        t = self._table(ctx, s.table)
        index = None
        if s.index is not None:
            index = t.indexes.get(s.index)
            if index is None:
                raise validation(f"The table does not have the specified index: {s.index}")
        hash_name, range_name = (index.hash_name, index.range_name) if index else (t.hash_name, t.range_name)
        r = Renderer()
        request: dict = {"TableName": t.name}
        if index is not None:
            request["IndexName"] = index.name
        if s.projection:
            request["ProjectionExpression"] = ", ".join(r.path(p) for p in s.projection)
        for k in ("ConsistentRead", "Limit", "ReturnConsumedCapacity"):
            if params.get(k) is not None:
                request[k] = params[k]
        if params.get("NextToken"):
            try:
                start = cbor2.loads(base64.urlsafe_b64decode(params["NextToken"]))
            except Exception:
                start = None
            if not isinstance(start, dict) or not start:
                raise validation("Invalid NextToken")
            request["ExclusiveStartKey"] = start
        terms = conjuncts(s.where)
        plan = self._partiql_key_plan(t, terms, hash_name, range_name)
        if plan is not None:
            hash_term, sort_term, rest = plan
            kc = f"{r.name(hash_name)} = {r.value(key_equality(hash_term, hash_name))}"
            if sort_term is not None:
                kc += f" AND {r.condition(sort_term)}"
            request["KeyConditionExpression"] = kc
            if rest:
                request["FilterExpression"] = r.condition(join(rest))
            request["ScanIndexForward"] = not s.descending
            out = self.query(ctx, {**request, **r.params()})
        else:
            if s.ordered:
                # Only a Query has an order: its WHERE must fix the partition key.
                raise validation("Must have WHERE clause in the statement when using ORDER BY clause")
            if s.where is not None:
                request["FilterExpression"] = r.condition(s.where)
            out = self.scan(ctx, {**request, **r.params()})
        result: dict = {"Items": out.get("Items", [])}
        if out.get("LastEvaluatedKey"):
            result["NextToken"] = base64.urlsafe_b64encode(cbor2.dumps(out["LastEvaluatedKey"])).decode()
            result["LastEvaluatedKey"] = out["LastEvaluatedKey"]
        if out.get("ConsumedCapacity"):
            result["ConsumedCapacity"] = out["ConsumedCapacity"]
        return result

    @staticmethod
    def _partiql_key_plan(t, terms: list, hash_name: str, range_name):
        """(hash term, sort term | None, other terms) when the WHERE makes a Query, else None."""
        hash_term = next((x for x in terms if key_equality(x, hash_name) is not None), None)
        if hash_term is None:
            return None
        value = key_equality(hash_term, hash_name)
        if t.types.get(hash_name) not in value:
            return None       # no item can match: a Scan finds none
        rest = [x for x in terms if x is not hash_term]
        if any(hash_name in names_in(x) for x in rest):
            return None
        sorts = [x for x in rest if range_name is not None and range_name in names_in(x)]
        if len(sorts) > 1 or (sorts and not _sort_term(sorts[0], range_name)):
            return None
        sort_term = sorts[0] if sorts else None
        return hash_term, sort_term, [x for x in rest if x is not sort_term]

    # -- writes -------------------------------------------------------------------------------------

    def _partiql_key(self, t, where: tuple) -> tuple[dict, list]:
        """The full primary key a WHERE fixes, and its other terms."""
        terms = conjuncts(where)
        key, rest = {}, []
        for term in terms:
            for name in t.key_attributes():
                value = key_equality(term, name)
                if value is not None and name not in key:
                    key[name] = value
                    break
            else:
                rest.append(term)
        if set(key) != t.key_attributes():
            raise validation("Where clause does not contain a mandatory equality on all key attributes")
        return key, rest

    def _partiql_request(self, ctx, s, params: dict) -> tuple[str, dict]:
        """(operation, request) of a write statement."""
        t = self._table(ctx, s.table)
        r = Renderer()
        if isinstance(s, Insert):
            request = {"TableName": t.name, "Item": s.item,
                       "ConditionExpression": f"attribute_not_exists({r.name(t.hash_name)})"}
            return "Put", {**request, **r.params()}
        key, rest = self._partiql_key(t, s.select.where if isinstance(s, Exists) else s.where)
        request = {"TableName": t.name, "Key": key}
        if isinstance(s, Update):
            if any(p[1][0] in t.key_attributes() for p, _ in s.sets) or \
                    any(p[1][0] in t.key_attributes() for p in s.removes):
                raise validation("Key attributes cannot be updated")
            clauses = []
            if s.sets:
                clauses.append("SET " + ", ".join(f"{r.path(p)} = {r.operand(v)}" for p, v in s.sets))
            if s.removes:
                clauses.append("REMOVE " + ", ".join(r.path(p) for p in s.removes))
            if s.adds:
                clauses.append("ADD " + ", ".join(f"{r.path(p)} {r.operand(v)}" for p, v in s.adds))
            if s.deletes:
                clauses.append("DELETE " + ", ".join(f"{r.path(p)} {r.operand(v)}" for p, v in s.deletes))
            request["UpdateExpression"] = " ".join(clauses)
            condition = f"attribute_exists({r.name(t.hash_name)})"
            if rest:
                condition += f" AND ({r.condition(join(rest))})"
            request["ConditionExpression"] = condition
            op = "Update"
        elif isinstance(s, Exists):
            exists = f"attribute_exists({r.name(t.hash_name)})"
            if rest:
                exists = f"{exists} AND ({r.condition(join(rest))})"
            request["ConditionExpression"] = f"NOT ({exists})" if s.negated else exists
            return "ConditionCheck", {**request, **r.params()}
        else:
            # The developer guide: deleting an absent item succeeds; only an item that is
            # there and fails the WHERE is a ConditionalCheckFailedException.
            if rest:
                request["ConditionExpression"] = (f"attribute_not_exists({r.name(t.hash_name)}) OR "
                                                  f"({r.condition(join(rest))})")
            if s.returning not in (None, "ALL_OLD"):
                raise malformed("DELETE can return only ALL OLD *")
            op = "Delete"
        if s.returning is not None:
            request["ReturnValues"] = s.returning
        return op, {**request, **r.params()}

    def _partiql_write(self, ctx, s, params: dict) -> dict:
        op, request = self._partiql_request(ctx, s, params)
        for k in ("ReturnConsumedCapacity", "ReturnValuesOnConditionCheckFailure"):
            if params.get(k) is not None and not (op == "Put" and k.startswith("ReturnValuesOn")):
                request[k] = params[k]
        if op == "Put":
            try:
                out = self.put_item(ctx, request)
            except ServiceError as e:
                if e.code == "ConditionalCheckFailedException":
                    raise duplicate() from None
                raise
        elif op == "Update":
            out = self.update_item(ctx, request)
        else:
            out = self.delete_item(ctx, request)
        result: dict = {"Items": [out["Attributes"]] if out.get("Attributes") else []}
        if out.get("ConsumedCapacity"):
            result["ConsumedCapacity"] = out["ConsumedCapacity"]
        return result

    # -- BatchExecuteStatement -------------------------------------------------------------------------

    def batch_execute_statement(self, ctx, params: dict) -> dict:
        entries = params.get("Statements") or []
        if not entries or len(entries) > MAX_BATCH:
            bound = "greater than or equal to 1" if not entries else f"less than or equal to {MAX_BATCH}"
            raise validation(f"1 validation error detected: Value at 'statements' failed to satisfy constraint: "
                             f"Member must have length {bound}")
        parsed = [parse(e.get("Statement"), e.get("Parameters")) for e in entries]
        if any(isinstance(s, Exists) for s in parsed):
            raise validation("EXISTS can be used only in ExecuteTransaction")
        reads = [isinstance(s, Select) for s in parsed]
        if any(reads) and not all(reads):
            raise validation("Batch must contain either all read or all write statements")
        responses = []
        for entry, s in zip(entries, parsed):
            response: dict = {"TableName": s.table}
            try:
                if isinstance(s, Select):
                    item = self._partiql_get(ctx, s, bool(entry.get("ConsistentRead")))
                    if item is not None:
                        response["Item"] = item
                else:
                    request = dict(entry)
                    request.pop("Statement", None)
                    request.pop("Parameters", None)
                    self._partiql_write(ctx, s, request)
            except ServiceError as e:
                response["Error"] = {"Code": _BATCH_CODES.get(e.code, e.code), "Message": e.message}
                if e.fields.get("Item") is not None:
                    response["Error"]["Item"] = e.fields["Item"]
            responses.append(response)
        return {"Responses": responses}

    def _partiql_get(self, ctx, s: Select, consistent: bool, request_only: bool = False):
        """A SELECT that names one item by its full key, as GetItem."""
        t = self._table(ctx, s.table)
        if s.index is not None:
            raise validation("Batch and transaction reads must name an item of the table by its key")
        key, rest = self._partiql_key(t, s.where)
        if rest:
            raise validation("Batch and transaction reads take only equalities on the key attributes")
        r = Renderer()
        request: dict = {"TableName": t.name, "Key": key}
        if s.projection:
            request["ProjectionExpression"] = ", ".join(r.path(p) for p in s.projection)
            request.update(r.params())
        if request_only:
            return request
        if consistent:
            request["ConsistentRead"] = True
        return self.get_item(ctx, request).get("Item")

    # -- ExecuteTransaction ---------------------------------------------------------------------------

    def execute_transaction(self, ctx, params: dict) -> dict:
        entries = params.get("TransactStatements") or []
        if not entries or len(entries) > MAX_TRANSACTION:
            bound = "greater than or equal to 1" if not entries else f"less than or equal to {MAX_TRANSACTION}"
            raise validation(f"1 validation error detected: Value at 'transactStatements' failed to satisfy "
                             f"constraint: Member must have length {bound}")
        parsed = [parse(e.get("Statement"), e.get("Parameters")) for e in entries]
        reads = [isinstance(s, Select) for s in parsed]
        if any(reads) and not all(reads):
            raise validation("Transaction must contain either all read or all write statements")
        if all(isinstance(s, Exists) for s in parsed):
            raise validation("A transaction of EXISTS checks must also write")
        if all(reads):
            gets = [{"Get": self._partiql_get(ctx, s, True, request_only=True)} for s in parsed]
            out = self.transact_get_items(ctx, {"TransactItems": gets,
                                                "ReturnConsumedCapacity": params.get("ReturnConsumedCapacity")})
            result = {"Responses": [{"Item": r["Item"]} if r.get("Item") else {} for r in out["Responses"]]}
            if out.get("ConsumedCapacity"):
                result["ConsumedCapacity"] = out["ConsumedCapacity"]
            return result
        items = []
        for entry, s in zip(entries, parsed):
            op, request = self._partiql_request(ctx, s, params)
            request.pop("ReturnValues", None)
            if entry.get("ReturnValuesOnConditionCheckFailure"):
                request["ReturnValuesOnConditionCheckFailure"] = entry["ReturnValuesOnConditionCheckFailure"]
            items.append({op: request})
        request = {"TransactItems": items}
        for k in ("ClientRequestToken", "ReturnConsumedCapacity"):
            if params.get(k) is not None:
                request[k] = params[k]
        try:
            out = self.transact_write_items(ctx, request)
        except ServiceError as e:
            if e.code != "TransactionCanceledException":
                raise
            reasons = e.fields.get("CancellationReasons") or []
            for s, reason in zip(parsed, reasons):
                if isinstance(s, Insert) and reason.get("Code") == "ConditionalCheckFailed":
                    reason.update(Code="DuplicateItem", Message="Duplicate primary key exists in table")
                    reason.pop("Item", None)
            codes = ", ".join(r["Code"] for r in reasons)
            raise ServiceError("TransactionCanceledException", "Transaction cancelled, please refer cancellation "
                               f"reasons for specific reasons [{codes}]", 400, CancellationReasons=reasons) from None
        result = {}
        if out.get("ConsumedCapacity"):
            result["ConsumedCapacity"] = out["ConsumedCapacity"]
        return result
