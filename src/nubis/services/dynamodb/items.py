"""What the item operations share: keys as row keys, index entries, the
attributes an index projects, capacity units and ReturnValues."""
from __future__ import annotations

from ...protocol.errors import ServiceError
from . import types as dt
from .tables import INVALID, Index, Table, validation

MAX_ITEM = 400 * 1024


def key_bytes(value: dict) -> bytes:
    return dt.key_bytes(value)


def row_key(t: Table, item: dict) -> tuple[bytes, bytes]:
    """(hk, rk) of an item or key, already validated against the schema."""
    rk = b"" if t.range_name is None else key_bytes(item[t.range_name])
    return key_bytes(item[t.hash_name]), rk


def plain_row_key(t: Table, key) -> tuple[bytes, bytes] | None:
    """(hk, rk) of a key given exactly (GetItem's) when it plainly is a good one: S, B
    or plain-digit N values of the schema's types within the size limits. None
    when it needs check_key's and row_key's full way (and their errors)."""
    if key.__class__ is not dict or len(key) != (1 if t.range_name is None else 2):
        return None
    return _plain_item_key(t, key)


def _plain_key_part(value, want: str, limit: int) -> bytes | None:
    if value.__class__ is not dict or len(value) != 1:
        return None
    v = value.get(want)
    if v.__class__ is str:
        if want == "S":
            if v.isascii():  # (its UTF-8 is itself)
                return v.encode("ascii") if 0 < len(v) <= limit else None
            try:
                b = v.encode("utf-8")
            except UnicodeEncodeError:
                return None
            return b if 0 < len(b) <= limit else None
        if want == "N" and v.isdigit() and v.isascii():
            # natural_key's bytes, within the limits it checks (else None: its errors)
            digits = v.lstrip("0")
            if not digits:
                return b"\x02"
            significant = digits.rstrip("0")
            if len(significant) > dt.MAX_DIGITS or len(digits) - 1 > dt.MAX_EXPONENT:
                return None
            return bytes((0x03, len(digits) - 1 - dt.MIN_EXPONENT)) + \
                significant.encode("ascii").translate(dt.DIGIT_BYTES)
    elif v.__class__ is bytes and want == "B":
        return v if 0 < len(v) <= limit else None
    return None


def key_of(t: Table, item: dict, index: Index | None = None) -> dict:
    out = {t.hash_name: item[t.hash_name]}
    if t.range_name:
        out[t.range_name] = item[t.range_name]
    if index is not None:
        out[index.hash_name] = item[index.hash_name]
        if index.range_name:
            out[index.range_name] = item[index.range_name]
    return out


def check_key(t: Table, key, exact: bool = True) -> None:
    if key is None:
        raise validation("1 validation error detected: Value null at 'key' failed to satisfy constraint: "
                         "Member must not be null")
    dt.validate_key(key, t.key_schema, t.types, exact=exact)


def check_item(t: Table, item) -> int:
    """Validate a whole item to be written; its size."""
    if item is None:
        raise validation("1 validation error detected: Value null at 'item' failed to satisfy constraint: "
                         "Member must not be null")
    dt.validate_item(item)
    dt.validate_key(item, t.key_schema, t.types, exact=False)
    size = dt.item_size(item)
    if size > MAX_ITEM:
        raise validation("Item size has exceeded the maximum allowed size")
    return size


def prepare_item(t: Table, item) -> tuple[dict, int, tuple[bytes, bytes]]:
    """check_item, canonical and row_key in one walk: the item as it is stored, its size, (hk, rk)."""
    if item is None:
        raise validation("1 validation error detected: Value null at 'item' failed to satisfy constraint: "
                         "Member must not be null")
    stored, size = dt.checked_item(item)
    rowkey = _plain_item_key(t, item)
    if rowkey is None:
        dt.validate_key(item, t.key_schema, t.types, exact=False)
    if size > MAX_ITEM:
        raise validation("Item size has exceeded the maximum allowed size")
    return stored, size, rowkey or row_key(t, stored)


def _plain_item_key(t: Table, item: dict) -> tuple[bytes, bytes] | None:
    """(hk, rk) of an item whose key attributes plainly are good (see plain_row_key)."""
    hk = _plain_key_part(item.get(t.hash_name), t.hash_type, dt.MAX_HASH_KEY)
    if hk is None:
        return None
    if t.range_name is None:
        return hk, b""
    rk = _plain_key_part(item.get(t.range_name), t.range_type, dt.MAX_RANGE_KEY)
    return None if rk is None else (hk, rk)


def canonical(item: dict) -> dict:
    """Numbers as DynamoDB gives them back (``1.50`` -> ``1.5``)."""
    return dt.canonical_item(item)


def index_entries(t: Table, item: dict | None) -> set[tuple[str, bytes, bytes]]:
    """The (index, ihk, irk) entries an item has; none where it lacks an index key."""
    if item is None or not t.indexes:
        return set()
    out = set()
    for ix in t.indexes.values():
        h = item.get(ix.hash_name)
        if h is None:
            continue
        if ix.range_name is None:
            r = b""
        else:
            rv = item.get(ix.range_name)
            if rv is None:
                continue
            r = key_bytes(rv)
        out.add((ix.name, key_bytes(h), r))
    return out


def check_index_keys(t: Table, item: dict) -> None:
    """An index key attribute present in an item must have its defined type."""
    for ix in t.indexes.values():
        for name in (ix.hash_name, ix.range_name):
            if name is None or name not in item:
                continue
            want = t.types.get(name)
            (actual,) = item[name].keys()
            if actual != want:
                raise validation(f"{INVALID}Type mismatch for Index Key {name} Expected: {want} Actual: {actual} "
                                 f"IndexName: {ix.name}")
            value = item[name][actual]
            if actual in ("S", "B") and len(value) == 0:
                raise validation("One or more parameter values are not valid. A value specified for a "
                                 f"secondary index key is not supported. The AttributeValue for a key attribute "
                                 f"cannot contain an empty string value. IndexName: {ix.name}, IndexKey: {name}")


def project(t: Table, ix: Index, item: dict) -> dict:
    """The attributes of ``item`` an index holds."""
    if ix.projection == "ALL":
        return item
    keep = t.key_attributes(ix)
    if ix.projection == "INCLUDE":
        keep = keep | set(ix.non_key)
    return {k: v for k, v in item.items() if k in keep}


# -- capacity ----------------------------------------------------------------------------

read_units = dt.read_units
write_units = dt.write_units


def consumed(t: Table, mode: str | None, table_units: float, index_units: dict | None = None) -> dict | None:
    """ConsumedCapacity for ReturnConsumedCapacity TOTAL or INDEXES."""
    if mode not in ("TOTAL", "INDEXES"):
        return None
    index_units = index_units or {}
    out = {"TableName": t.name, "CapacityUnits": table_units + sum(index_units.values())}
    if mode == "INDEXES":
        out["Table"] = {"CapacityUnits": table_units}
        gsi = {n: {"CapacityUnits": u} for n, u in index_units.items() if t.indexes[n].kind == "GSI"}
        lsi = {n: {"CapacityUnits": u} for n, u in index_units.items() if t.indexes[n].kind == "LSI"}
        if gsi:
            out["GlobalSecondaryIndexes"] = gsi
        if lsi:
            out["LocalSecondaryIndexes"] = lsi
    return out


def index_write_units(t: Table, old: dict | None, new: dict | None, old_e: set, new_e: set) -> dict:
    """Write units per index a write touched: a new or changed entry costs the projected
    size of the new item, a removed one that of the old."""
    out: dict = {}
    for name, *_ in old_e ^ new_e:
        ix = t.indexes[name]
        entry_item = new if any(e[0] == name for e in new_e) else old
        out[name] = out.get(name, 0.0) + write_units(dt.item_size(project(t, ix, entry_item)))
    for name, *_ in old_e & new_e:
        if old is not None and new is not None and project(t, t.indexes[name], old) != project(t, t.indexes[name], new):
            out[name] = out.get(name, 0.0) + write_units(dt.item_size(project(t, t.indexes[name], new)))
    return out


# -- return values ------------------------------------------------------------------------

def check_return_values(value, allowed: tuple) -> str:
    if value is None:
        return "NONE"
    if value not in ("NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"):
        raise validation(f"1 validation error detected: Value '{value}' at 'returnValues' failed to satisfy "
                         "constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, "
                         "UPDATED_NEW]")
    if value not in allowed:
        raise validation("Return values set to invalid value")
    return value


def condition_failed(old: dict | None, on_failure) -> ServiceError:
    if on_failure not in (None, "NONE", "ALL_OLD"):
        raise validation(f"1 validation error detected: Value '{on_failure}' at "
                         "'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy "
                         "enum value set: [ALL_OLD, NONE]")
    e = ServiceError("ConditionalCheckFailedException", "The conditional request failed", 400)
    if on_failure == "ALL_OLD" and old is not None:
        e.fields["Item"] = old
    return e
