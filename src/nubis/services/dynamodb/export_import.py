"""Export to S3 (ExportTableToPointInTime, DescribeExport, ListExports) and
import from S3 (ImportTable, DescribeImport, ListImports). A mixin of
``DynamoDBProvider``; S3 is reached through the internal client, as
``dynamodb.amazonaws.com``, so S3's own rules and notifications apply.

An export writes the layout of the developer guide's "DynamoDB table export
output format" under ``<prefix>/AWSDynamoDB/<export-id>/``: ``_started``,
``data/<random>.json.gz`` (or ``.ion.gz``: gzipped lines of ``{"Item": ...}``,
or for an incremental export ``{"Metadata": ..., "Keys": ..., "NewImage":
..., "OldImage": ...}``), ``manifest-files.json``, ``manifest-summary.json``
and their ``.checksum`` files (the hex MD5 of the manifest). The items are
the table's at ExportTime, read from the PITR log. Both jobs run inside the
request: the answer says IN_PROGRESS, as AWS's does, and the next
DescribeExport / DescribeImport gives the finished job (COMPLETED or FAILED).

An import creates the table from TableCreationParameters, then reads every
object under S3KeyPrefix; a record that cannot be read or is not a valid
item is counted in ErrorCount, skipped, and logged to the CloudWatch Logs
group ``/aws-dynamodb/imports`` (a stream per import).
"""
from __future__ import annotations

import base64
import csv
import datetime as _dt
import gzip
import hashlib
import io
import json
import secrets

from ...protocol.errors import ServiceError
from ...runtime.bodies import read_all
from . import ion
from . import items as it
from . import tables as tb
from .backups import seconds
from .store import decode
from .tables import validation

PRINCIPAL = "dynamodb.amazonaws.com"
TOKEN_WINDOW = 8 * 3600.0   # a ClientToken is remembered 8 hours (the API reference)
FILE_ITEMS = 10000
LOG_GROUP = "/aws-dynamodb/imports"


def _iso(when: float) -> str:
    t = _dt.datetime.fromtimestamp(when, tz=_dt.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def to_json(value):
    """An attribute value (or item) as DynamoDB JSON text: binaries base64."""
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    return value


def from_json(item: dict) -> dict:
    """An item read from DynamoDB JSON text: B and BS decoded from base64."""
    def value(v):
        if not isinstance(v, dict) or len(v) != 1:
            raise ValueError("an attribute value must have exactly one type")
        (kind, x), = v.items()
        if kind == "B":
            return {"B": base64.b64decode(x)}
        if kind == "BS":
            return {"BS": [base64.b64decode(b) for b in x]}
        if kind == "L":
            return {"L": [value(e) for e in x]}
        if kind == "M":
            return {"M": {k: value(e) for k, e in x.items()}}
        return v
    if not isinstance(item, dict):
        raise ValueError("an item must be an object")
    return {k: value(v) for k, v in item.items()}


class ExportImport:
    async def _s3(self, ctx, operation: str, params: dict) -> dict:
        return await self.internal.call("s3", operation, params, account=ctx.account, region=ctx.region,
                                        principal=PRINCIPAL)

    # -- ExportTableToPointInTime ----------------------------------------------------------

    async def export_table_to_point_in_time(self, ctx, params: dict) -> dict:
        arn = tb.require(params.get("TableArn"), "tableArn")
        bucket = tb.require(params.get("S3Bucket"), "s3Bucket")
        fmt = params.get("ExportFormat") or "DYNAMODB_JSON"
        tb.one_of(fmt, "exportFormat", ("DYNAMODB_JSON", "ION"))
        kind = params.get("ExportType") or "FULL_EXPORT"
        tb.one_of(kind, "exportType", ("FULL_EXPORT", "INCREMENTAL_EXPORT"))
        tb.one_of(params.get("S3SseAlgorithm"), "s3SseAlgorithm", ("AES256", "KMS"))
        try:
            t = self._by_arn(arn)
        except ServiceError:
            raise ServiceError("TableNotFoundException", f"Table not found: {arn}") from None
        token = params.get("ClientToken")
        if token:
            seen = self.backup_store.job_by_token("export", ctx.account, ctx.region, token,
                                                  self.clock.now() - TOKEN_WINDOW)
            if seen is not None:
                if seen["TableArn"] != arn or seen["S3Bucket"] != bucket:
                    raise ServiceError("ExportConflictException",
                                       "There was a conflict when writing to the specified S3 bucket.")
                return {"ExportDescription": seen}
        if not t.definition.get("PointInTimeRecovery"):
            raise ServiceError("PointInTimeRecoveryUnavailableException",
                               f"Point in time recovery is not enabled for table '{t.name}'")
        now = self.clock.now()
        earliest = self._restorable(t)[0]
        spec = params.get("IncrementalExportSpecification") or {}
        if kind == "FULL_EXPORT":
            when = seconds(params["ExportTime"]) if params.get("ExportTime") is not None else now
            if not earliest <= when <= now:
                raise ServiceError("InvalidExportTimeException",
                                   "Export time must be within the point in time recovery window of the table")
            records = self._full_records(t, when)
        else:
            if spec.get("ExportFromTime") is None:
                raise validation("IncrementalExportSpecification.ExportFromTime must be specified for an "
                                 "INCREMENTAL_EXPORT")
            start = seconds(spec["ExportFromTime"])
            # ExportFromTime is inclusive, ExportToTime exclusive; without one, every write so far counts.
            end = seconds(spec["ExportToTime"]) if spec.get("ExportToTime") is not None else now + 1e-6
            view = spec.get("ExportViewType") or "NEW_AND_OLD_IMAGES"
            tb.one_of(view, "incrementalExportSpecification.exportViewType", ("NEW_IMAGE", "NEW_AND_OLD_IMAGES"))
            if start < earliest or end > now + 1e-6 or start >= end:
                raise ServiceError("InvalidExportTimeException",
                                   "The export period must lie within the point in time recovery window of the "
                                   "table, and ExportFromTime must be before ExportToTime")
            spec = {"ExportFromTime": start, "ExportToTime": min(end, now), "ExportViewType": view}
            records = self._incremental_records(t, start, end, view)
            when = min(end, now)
        export_id = f"{int(now * 1000):013d}-{secrets.token_hex(4)}"
        export_arn = f"{t.arn}/export/{export_id}"
        prefix = (params.get("S3Prefix") or "").strip("/")
        base = f"{prefix}/AWSDynamoDB/{export_id}/" if prefix else f"AWSDynamoDB/{export_id}/"
        description = {"ExportArn": export_arn, "ExportStatus": "COMPLETED", "StartTime": now, "EndTime": now,
                       "ExportManifest": base + "manifest-summary.json", "TableArn": t.arn,
                       "TableId": t.definition["TableId"], "ExportTime": when, "S3Bucket": bucket,
                       "S3SseAlgorithm": params.get("S3SseAlgorithm") or "AES256", "ExportFormat": fmt,
                       "ExportType": kind}
        for k in ("S3Prefix", "S3BucketOwner", "S3SseKmsKeyId"):
            if params.get(k):
                description[k] = params[k]
        if token:
            description["ClientToken"] = token
        if kind == "INCREMENTAL_EXPORT":
            description["IncrementalExportSpecification"] = spec
        sse: dict = {}
        if params.get("S3SseAlgorithm") == "KMS":
            sse = {"ServerSideEncryption": "aws:kms"}
            if params.get("S3SseKmsKeyId"):
                sse["SSEKMSKeyId"] = params["S3SseKmsKeyId"]
        elif params.get("S3SseAlgorithm") == "AES256":
            sse = {"ServerSideEncryption": "AES256"}
        try:
            count, size = await self._write_export(ctx, bucket, base, fmt, kind, records, description, sse)
            description.update(ItemCount=count, BilledSizeBytes=size)
        except ServiceError as e:
            description.update(ExportStatus="FAILED", FailureCode=e.code, FailureMessage=e.message)
        self.backup_store.save_job(export_arn, "export", ctx.account, ctx.region, now, token, description)
        return {"ExportDescription": {**description, "ExportStatus": "IN_PROGRESS"}}

    def _full_records(self, t, when: float) -> list:
        rows = self.backup_store.rows_at(t.id, when)
        return [{"Item": decode(body)} for _hk, _rk, body, _size in rows]

    def _incremental_records(self, t, start: float, end: float, view: str) -> list:
        before = {}
        if view == "NEW_AND_OLD_IMAGES":
            before = {(hk, rk): decode(body)
                      for hk, rk, body, _ in self.backup_store.rows_at(t.id, start, before=True)}
        out = []
        for hk, rk, body, _size, at in self.backup_store.changed_between(t.id, start, end):
            new = decode(body) if body is not None else None
            old = before.get((hk, rk))
            if new is None and old is None and view == "NEW_AND_OLD_IMAGES":
                continue        # created and deleted inside the period
            source = new if new is not None else old
            record: dict = {"Metadata": {"WriteTimestampMicros": {"N": str(int(at * 1_000_000))}}}
            if source is not None:
                record["Keys"] = it.key_of(t, source)
            else:
                continue
            if new is not None:
                record["NewImage"] = new
            if old is not None and view == "NEW_AND_OLD_IMAGES":
                record["OldImage"] = old
            out.append(record)
        return out

    async def _write_export(self, ctx, bucket: str, base: str, fmt: str, kind: str, records: list,
                            description: dict, sse: dict) -> tuple[int, int]:
        await self._s3(ctx, "PutObject", {"Bucket": bucket, "Key": base + "_started", "Body": b"", **sse})
        suffix = ".json.gz" if fmt == "DYNAMODB_JSON" else ".ion.gz"
        files, total = [], 0
        for start in range(0, max(len(records), 1), FILE_ITEMS):
            chunk = records[start:start + FILE_ITEMS]
            if fmt == "DYNAMODB_JSON":
                text = "".join(json.dumps(to_json(r), separators=(",", ":"), ensure_ascii=False) + "\n"
                               for r in chunk)
            else:
                text = "".join("$ion_1_0 " + _ion_record(r) + "\n" for r in chunk)
            raw = text.encode()
            total += len(raw)
            body = gzip.compress(raw, mtime=0)
            key = f"{base}data/{secrets.token_hex(13)}{suffix}"
            out = await self._s3(ctx, "PutObject", {"Bucket": bucket, "Key": key, "Body": body, **sse})
            files.append({"itemCount": len(chunk),
                          "md5Checksum": base64.b64encode(hashlib.md5(body).digest()).decode(),
                          "etag": str(out.get("ETag") or hashlib.md5(body).hexdigest()).strip('"'),
                          "dataFileS3Key": key})
        manifest_files = "".join(json.dumps(f, separators=(",", ":")) + "\n" for f in files).encode()
        count = sum(f["itemCount"] for f in files)
        summary = {"version": "2020-06-30" if kind == "FULL_EXPORT" else "2023-08-01",
                   "exportArn": description["ExportArn"], "startTime": _iso(description["StartTime"]),
                   "endTime": _iso(description["EndTime"]), "tableArn": description["TableArn"],
                   "tableId": description["TableId"], "exportTime": _iso(description["ExportTime"]),
                   "s3Bucket": bucket, "s3Prefix": description.get("S3Prefix"),
                   "s3SseAlgorithm": description["S3SseAlgorithm"],
                   "s3SseKmsKeyId": description.get("S3SseKmsKeyId"),
                   "manifestFilesS3Key": base + "manifest-files.json", "billedSizeBytes": total,
                   "itemCount": count, "outputFormat": fmt, "exportType": kind}
        summary_bytes = json.dumps(summary, indent=None).encode()
        for name, data in (("manifest-files", manifest_files), ("manifest-summary", summary_bytes)):
            await self._s3(ctx, "PutObject", {"Bucket": bucket, "Key": f"{base}{name}.json", "Body": data, **sse})
            await self._s3(ctx, "PutObject", {"Bucket": bucket, "Key": f"{base}{name}.checksum",
                                              "Body": hashlib.md5(data).hexdigest().encode(), **sse})
        return count, total

    def describe_export(self, ctx, params: dict) -> dict:
        arn = tb.require(params.get("ExportArn"), "exportArn")
        job = self.backup_store.job(arn)
        if job is None or not arn.split(":")[4:5] == [ctx.account]:
            raise ServiceError("ExportNotFoundException", f"Export not found: {arn}")
        return {"ExportDescription": job}

    def list_exports(self, ctx, params: dict) -> dict:
        jobs = self.backup_store.jobs("export", ctx.account, ctx.region)
        if params.get("TableArn"):
            jobs = [j for j in jobs if j["TableArn"] == params["TableArn"]]
        summaries = [{"ExportArn": j["ExportArn"], "ExportStatus": j["ExportStatus"], "ExportType": j["ExportType"]}
                     for j in jobs]
        return _page(summaries, "ExportSummaries", params.get("MaxResults"), params.get("NextToken"), 25,
                     "maxResults")

    # -- ImportTable -------------------------------------------------------------------------

    async def import_table(self, ctx, params: dict) -> dict:
        source = tb.require(params.get("S3BucketSource"), "s3BucketSource")
        bucket = tb.require(source.get("S3Bucket"), "s3BucketSource.s3Bucket")
        fmt = tb.require(params.get("InputFormat"), "inputFormat")
        tb.one_of(fmt, "inputFormat", ("DYNAMODB_JSON", "ION", "CSV"))
        compression = params.get("InputCompressionType") or "NONE"
        tb.one_of(compression, "inputCompressionType", ("GZIP", "ZSTD", "NONE"))
        creation = tb.require(params.get("TableCreationParameters"), "tableCreationParameters")
        options = (params.get("InputFormatOptions") or {}).get("Csv") or {}
        if options and fmt != "CSV":
            raise validation("InputFormatOptions can only be specified for the CSV input format")
        delimiter = options.get("Delimiter") or ","
        if len(delimiter) != 1:
            raise validation("The CSV delimiter must be a single character")
        token = params.get("ClientToken")
        if token:
            seen = self.backup_store.job_by_token("import", ctx.account, ctx.region, token,
                                                  self.clock.now() - TOKEN_WINDOW)
            if seen is not None:
                if seen["S3BucketSource"] != source or seen["TableCreationParameters"]["TableName"] != \
                        creation.get("TableName"):
                    raise ServiceError("ImportConflictException",
                                       "There was a conflict when importing from the specified S3 source. This can "
                                       "occur when the current import conflicts with a previous import request that "
                                       "had the same client token.")
                return {"ImportTableDescription": seen}
        definition = tb.validate_create(creation)
        name = creation["TableName"]
        if (ctx.account, ctx.region, name) in self.tables:
            raise ServiceError("ResourceInUseException", f"Table already exists: {name}")
        now = self.clock.now()
        import_id = f"{int(now * 1000):013d}-{secrets.token_hex(4)}"
        table_arn = f"arn:aws:dynamodb:{ctx.region}:{ctx.account}:table/{name}"
        import_arn = f"{table_arn}/import/{import_id}"
        description = {"ImportArn": import_arn, "ImportStatus": "COMPLETED", "TableArn": table_arn,
                       "S3BucketSource": source, "ErrorCount": 0,
                       "CloudWatchLogGroupArn": f"arn:aws:logs:{ctx.region}:{ctx.account}:log-group:{LOG_GROUP}",
                       "InputFormat": fmt, "InputCompressionType": compression,
                       "TableCreationParameters": creation, "StartTime": now, "EndTime": now,
                       "ProcessedSizeBytes": 0, "ProcessedItemCount": 0, "ImportedItemCount": 0}
        if params.get("InputFormatOptions"):
            description["InputFormatOptions"] = params["InputFormatOptions"]
        if token:
            description["ClientToken"] = token
        try:
            keys = await self._import_keys(ctx, bucket, source.get("S3KeyPrefix") or "")
        except ServiceError as e:
            description.update(ImportStatus="FAILED", FailureCode=e.code, FailureMessage=e.message)
            self.backup_store.save_job(import_arn, "import", ctx.account, ctx.region, now, token, description)
            return {"ImportTableDescription": {**description, "ImportStatus": "IN_PROGRESS"}}
        self.create_table(ctx, creation)
        t = self.tables[(ctx.account, ctx.region, name)]
        description["TableId"] = t.definition["TableId"]
        errors: list[str] = []
        types = {a["AttributeName"]: a["AttributeType"] for a in definition["AttributeDefinitions"]}
        for key in keys:
            raw = await self._object(ctx, bucket, key)
            description["ProcessedSizeBytes"] += len(raw)
            try:
                text = _decompress(raw, compression).decode("utf-8")
            except (OSError, ValueError, EOFError) as e:
                errors.append(f"s3://{bucket}/{key}: the object could not be read as {compression}: {e}")
                description["ErrorCount"] += 1
                continue
            with self.db.transaction():     # an object's items in one commit
                for where, record in _records(text, fmt, delimiter, options.get("HeaderList"), types):
                    description["ProcessedItemCount"] += 1
                    try:
                        if isinstance(record, Exception):
                            raise record
                        self._import_item(t, record)
                        description["ImportedItemCount"] += 1
                    except (ServiceError, ValueError, KeyError, TypeError) as e:
                        description["ErrorCount"] += 1
                        reason = e.message if isinstance(e, ServiceError) else str(e)
                        errors.append(f"s3://{bucket}/{key} {where}: {reason}")
        if errors:
            await self._log_import_errors(ctx, import_id, errors)
        self.backup_store.save_job(import_arn, "import", ctx.account, ctx.region, now, token, description)
        return {"ImportTableDescription": {**description, "ImportStatus": "IN_PROGRESS"}}

    def _import_item(self, t, item: dict) -> None:
        """Validate, then write (a refused item leaves nothing behind)."""
        size = it.check_item(t, item)
        if t.indexes:
            it.check_index_keys(t, item)
        item = it.canonical(item)
        hk, rk = it.row_key(t, item)
        self._write(t, hk, rk, self.store.get(t.id, hk, rk), item, size)

    async def _import_keys(self, ctx, bucket: str, prefix: str) -> list[str]:
        keys, token = [], None
        while True:
            request = {"Bucket": bucket, "Prefix": prefix}
            if token:
                request["ContinuationToken"] = token
            out = await self._s3(ctx, "ListObjectsV2", request)
            keys += [o["Key"] for o in out.get("Contents") or () if not o["Key"].endswith("/")]
            token = out.get("NextContinuationToken")
            if not out.get("IsTruncated") or not token:
                return keys

    async def _object(self, ctx, bucket: str, key: str) -> bytes:
        out = await self._s3(ctx, "GetObject", {"Bucket": bucket, "Key": key})
        return await read_all(out.get("Body"))

    async def _log_import_errors(self, ctx, import_id: str, errors: list[str]) -> None:
        """The import's errors in CloudWatch Logs, as the developer guide says (best effort)."""
        now_ms = int(self.clock.now() * 1000)
        try:
            try:
                await self.internal.call("logs", "CreateLogGroup", {"logGroupName": LOG_GROUP}, account=ctx.account,
                                         region=ctx.region, principal=PRINCIPAL)
            except ServiceError as e:
                if e.code != "ResourceAlreadyExistsException":
                    raise
            await self.internal.call("logs", "CreateLogStream", {"logGroupName": LOG_GROUP,
                                                                 "logStreamName": import_id},
                                     account=ctx.account, region=ctx.region, principal=PRINCIPAL)
            await self.internal.call("logs", "PutLogEvents", {
                "logGroupName": LOG_GROUP, "logStreamName": import_id,
                "logEvents": [{"timestamp": now_ms, "message": m} for m in errors[:10000]]},
                account=ctx.account, region=ctx.region, principal=PRINCIPAL)
        except Exception:  # noqa: BLE001  (the counts are the import's answer; the log is extra)
            pass

    def describe_import(self, ctx, params: dict) -> dict:
        arn = tb.require(params.get("ImportArn"), "importArn")
        job = self.backup_store.job(arn)
        if job is None or not arn.split(":")[4:5] == [ctx.account]:
            raise ServiceError("ImportNotFoundException", f"Import not found: {arn}")
        return {"ImportTableDescription": job}

    def list_imports(self, ctx, params: dict) -> dict:
        jobs = self.backup_store.jobs("import", ctx.account, ctx.region)
        if params.get("TableArn"):
            jobs = [j for j in jobs if j["TableArn"] == params["TableArn"]]
        summaries = [{k: j[k] for k in ("ImportArn", "ImportStatus", "TableArn", "S3BucketSource",
                                         "CloudWatchLogGroupArn", "InputFormat", "StartTime", "EndTime") if k in j}
                     for j in jobs]
        return _page(summaries, "ImportSummaryList", params.get("PageSize"), params.get("NextToken"), 25, "pageSize")


def _ion_record(record: dict) -> str:
    return "{" + ",".join(f"{k}:{ion.dump_value({'M': v})}" for k, v in record.items()) + "}"


def _decompress(raw: bytes, compression: str) -> bytes:
    if compression == "GZIP":
        return gzip.decompress(raw)
    if compression == "ZSTD":
        try:
            import zstandard
        except ImportError:
            raise ValueError("ZSTD input is not supported by this nubis (the zstandard package is not "
                             "installed)") from None
        return zstandard.ZstdDecompressor().decompressobj().decompress(raw)
    return raw


def _records(text: str, fmt: str, delimiter: str, header, types: dict):
    """(where, item or the error that stopped it) for each record of an object."""
    if fmt == "CSV":
        rows = csv.reader(io.StringIO(text), delimiter=delimiter)
        if header is None:
            header = next(rows, None)
            if header is None:
                return
        for n, row in enumerate(rows, 2 if not header else 1):
            if not row:
                continue
            if len(row) != len(header):
                yield f"line {n}", ValueError(f"the row has {len(row)} values, the header {len(header)}")
                continue
            item = {}
            for name, value in zip(header, row):
                if value == "":
                    continue
                kind = types.get(name, "S")
                item[name] = {"B": base64.b64decode(value)} if kind == "B" else {kind: value}
            yield f"line {n}", item
        return
    if fmt == "ION":
        # A well-formed text is read whole (values may span lines); else line by line, to count errors.
        try:
            items = ion.load_items(text)
        except ion.IonError:
            pass
        else:
            for n, item in enumerate(items, 1):
                yield f"record {n}", item
            return
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            if fmt == "DYNAMODB_JSON":
                record = json.loads(line)
                if not isinstance(record, dict) or "Item" not in record:
                    raise ValueError("a line must be an object with an Item")
                yield f"line {n}", from_json(record["Item"])
            else:
                for item in ion.load_items(line):
                    yield f"line {n}", item
        except (ValueError, ion.IonError) as e:
            yield f"line {n}", ValueError(f"the record could not be read: {e}")


def _page(entries: list, member: str, size, token, most: int, where: str) -> dict:
    size = size or most
    if not 1 <= size <= most:
        raise validation(f"1 validation error detected: Value '{size}' at '{where}' failed to satisfy constraint: "
                         f"Member must have value less than or equal to {most}")
    start = 0
    if token:
        # ListImports' model wants 112+ hex digits in blocks of 16: the offset, zero-padded.
        try:
            start = int(token, 16)
        except ValueError:
            raise validation("Invalid NextToken") from None
    out = {member: entries[start:start + size]}
    if start + size < len(entries):
        out["NextToken"] = f"{start + size:0112x}"
    return out
