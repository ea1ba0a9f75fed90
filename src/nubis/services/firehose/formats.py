"""What an S3 object's body becomes: JSON records converted to Parquet or ORC
(``DataFormatConversionConfiguration``), then compressed (``CompressionFormat``).

Without a Glue catalog to read ``SchemaConfiguration``'s table from, the
schema is inferred from the records (pyarrow's JSON type inference over the
whole object). A record that is not a JSON object fails conversion and goes
to ``format-conversion-failed``.
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


def convert(rows: list[dict], fmt: str, conversion: dict) -> bytes:
    import pyarrow as pa

    table = pa.Table.from_pylist(rows)
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
