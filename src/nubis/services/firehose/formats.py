"""What an S3 object's body becomes: JSON records converted to Parquet or ORC
(``DataFormatConversionConfiguration``), then compressed (``CompressionFormat``).

The schema is ``SchemaConfiguration``'s Glue table when nubis has Glue and
the table's column types are simple ones; otherwise it is inferred from the
records (pyarrow's type inference over the whole object). A record that is
not a JSON object, or an object that does not fit the schema, fails
conversion and goes to ``format-conversion-failed``.
"""
from __future__ import annotations

import gzip
import io
import json
import zipfile

EXTENSIONS = {"GZIP": ".gz", "ZIP": ".zip", "Snappy": ".snappy", "HADOOP_SNAPPY": ".snappy"}


def compress(body: bytes, fmt: str, name: str) -> bytes:
    if fmt == "GZIP":
        return gzip.compress(body)
    if fmt == "ZIP":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(name, body)
        return buf.getvalue()
    if fmt == "Snappy":
        import cramjam
        return bytes(cramjam.snappy.compress(body))          # the framing format
    if fmt == "HADOOP_SNAPPY":
        import cramjam
        return _hadoop_snappy(body, cramjam)
    return body


def _hadoop_snappy(body: bytes, cramjam) -> bytes:
    """Hadoop's block format: per block, the raw length, then each compressed
    chunk with its length (big-endian 32-bit), as Hadoop's SnappyCodec reads it."""
    out = bytearray()
    block = 256 * 1024
    for i in range(0, max(len(body), 1), block):
        raw = body[i:i + block]
        chunk = bytes(cramjam.snappy.compress_raw(raw))
        out += len(raw).to_bytes(4, "big") + len(chunk).to_bytes(4, "big") + chunk
    return bytes(out)


def output_format(conversion: dict | None) -> str | None:
    """``parquet`` or ``orc`` when conversion is on, else None."""
    if not conversion or conversion.get("Enabled") is False:
        return None
    serializer = (conversion.get("OutputFormatConfiguration") or {}).get("Serializer") or {}
    return "orc" if "OrcSerDe" in serializer else "parquet"


def parse_records(datas: list[bytes]) -> tuple[list[dict], list[tuple[int, str]]]:
    """(the rows, [(index, error)] of records that are not JSON objects)."""
    rows, failed = [], []
    for i, data in enumerate(datas):
        try:
            doc = json.loads(data)
        except (ValueError, UnicodeDecodeError) as e:
            failed.append((i, f"The record is not valid JSON: {e}"))
            continue
        if not isinstance(doc, dict):
            failed.append((i, "The record is not a JSON object."))
            continue
        rows.append(doc)
    return rows, failed


HIVE_TYPES = {"string": "string", "varchar": "string", "char": "string", "int": "int32", "integer": "int32",
              "bigint": "int64", "smallint": "int16", "tinyint": "int8", "double": "float64", "float": "float32",
              "boolean": "bool_", "date": "date32"}


def arrow_schema(columns: list[dict]):
    """A Glue table's columns (``[{Name, Type}]``) as an Arrow schema, or None when a
    type is one this conversion does not map (the schema is then inferred)."""
    import pyarrow as pa

    fields = []
    for col in columns:
        hive = (col.get("Type") or "").lower().split("(", 1)[0]
        if hive == "timestamp":
            fields.append(pa.field(col["Name"], pa.timestamp("ms")))
        elif hive in HIVE_TYPES:
            fields.append(pa.field(col["Name"], getattr(pa, HIVE_TYPES[hive])()))
        else:
            return None
    return pa.schema(fields)


class ConversionFailed(Exception):
    pass


def convert(rows: list[dict], fmt: str, conversion: dict, schema=None) -> bytes:
    import pyarrow as pa

    try:
        if schema is not None:
            # OpenX JSON SerDe matches keys case-insensitively; Glue columns are lower case.
            lowered = [{k.lower(): v for k, v in r.items()} for r in rows]
            table = pa.Table.from_pylist(lowered, schema=schema)
        else:
            table = pa.Table.from_pylist(rows)
    except (pa.ArrowException, TypeError, ValueError) as e:
        raise ConversionFailed(str(e)) from None
    serializer = (conversion.get("OutputFormatConfiguration") or {}).get("Serializer") or {}
    buf = io.BytesIO()
    if fmt == "orc":
        from pyarrow import orc
        settings = serializer.get("OrcSerDe") or {}
        codec = {"NONE": "uncompressed", "ZLIB": "zlib", "SNAPPY": "snappy"}.get(settings.get("Compression", "SNAPPY"),
                                                                               "snappy")
        orc.write_table(table, buf, compression=codec)
    else:
        import pyarrow.parquet as pq
        settings = serializer.get("ParquetSerDe") or {}
        codec = {"UNCOMPRESSED": "none", "GZIP": "gzip", "SNAPPY": "snappy"}.get(
            settings.get("Compression", "SNAPPY"), "snappy")
        pq.write_table(table, buf, compression=codec)
    return buf.getvalue()
