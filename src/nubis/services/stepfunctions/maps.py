"""The Map state: iterations over the items of the input (inline), or over
what an ``ItemReader`` reads from S3 in batches (distributed), with a map run
that DescribeMapRun reports and a ``ResultWriter`` that puts the results in S3.
"""
from __future__ import annotations

import asyncio
import csv
import io as _io
import json
from typing import TYPE_CHECKING

from . import language as asl
from .executor import Branch, Failure, dumps

if TYPE_CHECKING:
    from .executor import Run


async def run_map(run: "Run", name: str, state: dict, data, branch: Branch, ctx: dict):
    processor = state.get("ItemProcessor") or state.get("Iterator") or {}
    distributed = (processor.get("ProcessorConfig") or {}).get("Mode") == "DISTRIBUTED"
    if "ItemReader" in state:
        items = await read_items(run, state["ItemReader"], data, ctx, branch)
    else:
        items = asl.items(state, data, ctx, branch.variables, branch.language)
    if not isinstance(items, list):
        raise Failure("States.Runtime", f"An error occurred while executing the state '{name}'. The ItemsPath "
                      "field must point to a JSON array.")
    if "ItemBatcher" in state:
        items = batches(state["ItemBatcher"], items)
    tolerated = _tolerated(state, len(items))
    map_run = run.p.map_runs.start(run, name, state, len(items)) if distributed else None
    if map_run is not None:
        branch.prev = run.event("MapRunStarted", branch.prev, "mapRunStartedEventDetails",
                                {"mapRunArn": map_run["mapRunArn"]})
    else:
        branch.prev = run.event("MapStateStarted", branch.prev, "mapStateStartedEventDetails",
                                {"length": len(items)})
    started = branch.prev
    limit = asl.max_concurrency(state, data, ctx, branch.variables, branch.language)
    failures: list[Failure] = []
    results: list = [None] * len(items)
    language = processor.get("QueryLanguage", branch.language)
    # A distributed Map's iterations are child executions; STANDARD ones have
    # their own record and history (EXPRESS ones, as in AWS, none to list).
    children = map_run is not None and not run.express and \
        (processor.get("ProcessorConfig") or {}).get("ExecutionType", "STANDARD") == "STANDARD"
    child_arns: list = [None] * len(items)

    window = asyncio.Semaphore(limit) if limit else None

    async def iteration(index: int, item):
        if window is None:
            return await one(index, item)
        async with window:
            return await one(index, item)

    async def one(index: int, item):
        child = Branch(started, dict(branch.variables), language, False, (index, item), f"{branch.path}/{name}[{index}]")
        item_input = asl.item_input(state, branch.language, data, item,
                                    run.context(name, run.p.clock.now(), branch=child), branch.variables)
        if map_run is None:
            child.prev = run.event("MapIterationStarted", child.prev, "mapIterationStartedEventDetails",
                                   {"name": name, "index": index})
        try:
            if children:
                results[index] = await _child_execution(run, map_run, name, processor, item_input, child_arns, index)
            else:
                runner = run.quiet_twin() if map_run is not None else run
                results[index] = await runner.states(processor["States"], processor["StartAt"], item_input, child)
        except asyncio.CancelledError:
            # Another iteration failed the Map: this one is aborted.
            if map_run is None:
                run.event("MapIterationAborted", child.prev, "mapIterationAbortedEventDetails",
                          {"name": name, "index": index})
            raise
        except Failure as f:
            if map_run is None:
                run.event("MapIterationFailed", child.prev, "mapIterationFailedEventDetails",
                          {"name": name, "index": index})
            else:
                map_run["counts"]["failed"] += 1
            if tolerated is None:
                raise
            failures.append(f)
            results[index] = {"Error": f.error, "Cause": f.cause}
            return
        if map_run is None:
            run.event("MapIterationSucceeded", child.prev, "mapIterationSucceededEventDetails",
                      {"name": name, "index": index})
        else:
            map_run["counts"]["succeeded"] += 1

    try:
        if items:
            await run.gather([iteration(i, item) for i, item in enumerate(items)])
        if tolerated is not None and len(failures) > tolerated:
            raise Failure("States.ExceedToleratedFailureThreshold",
                          "The specified tolerated failure threshold was exceeded")
    except Failure as f:
        if map_run is not None:
            run.p.map_runs.finish(map_run, "FAILED")
            branch.prev = run.event("MapRunFailed", branch.prev, "mapRunFailedEventDetails",
                                    {"error": f.error, "cause": f.cause})
        else:
            branch.prev = run.event("MapStateFailed", run.latest())
        raise Failure(f.error, f.cause) from None
    if map_run is not None:
        output = results
        if "ResultWriter" in state:
            try:
                output = await write_results(run, state["ResultWriter"], map_run, results, items, child_arns)
            except Failure as f:
                failed = Failure("States.ResultWriterFailed", f"{f.error}: {f.cause}")
                run.p.map_runs.finish(map_run, "FAILED")
                branch.prev = run.event("MapRunFailed", branch.prev, "mapRunFailedEventDetails",
                                        {"error": failed.error, "cause": failed.cause})
                raise failed from None
        run.p.map_runs.finish(map_run, "SUCCEEDED")
        branch.prev = run.event("MapRunSucceeded", branch.prev)
        return output
    branch.prev = run.event("MapStateSucceeded", run.latest())
    return results


async def _child_execution(run: "Run", map_run: dict, name: str, processor: dict, item_input, child_arns: list,
                           index: int):
    """One iteration as a child execution: its output, or Failure with its error."""
    child, checkpoint = run.p.start_child(run, map_run, name, processor, item_input)
    child_arns[index] = child.arn
    try:
        await child.main(checkpoint)
    except asyncio.CancelledError:
        run.p.finish(child, "ABORTED")
        raise
    doc = child.doc
    if doc["status"] != "SUCCEEDED":
        raise Failure(doc.get("error") or "", doc.get("cause") or "")
    return json.loads(doc["output"])


def _tolerated(state: dict, n: int) -> int | None:
    count = state.get("ToleratedFailureCount")
    pct = state.get("ToleratedFailurePercentage")
    if count is None and pct is None:
        return None
    allowed = []
    if count is not None:
        allowed.append(int(count))
    if pct is not None:
        allowed.append(int(n * float(pct) / 100))
    return max(allowed)


def batches(batcher: dict, items: list) -> list:
    size = int(batcher.get("MaxItemsPerBatch") or len(items) or 1)
    max_bytes = batcher.get("MaxInputBytesPerBatch")
    extra = batcher.get("BatchInput") or {}
    out, current, used = [], [], 0
    for item in items:
        cost = len(dumps(item))
        if current and (len(current) >= size or (max_bytes and used + cost > int(max_bytes))):
            out.append({**extra, "Items": current})
            current, used = [], 0
        current.append(item)
        used += cost
    if current:
        out.append({**extra, "Items": current})
    return out


async def read_items(run: "Run", reader: dict, data, ctx: dict, branch: Branch) -> list:
    """The items an ItemReader reads; what goes wrong is States.ItemReaderFailed."""
    try:
        return await _read_items(run, reader, data, ctx, branch)
    except Failure as f:
        if f.error.startswith("States."):
            raise
        raise Failure("States.ItemReaderFailed", f"{f.error}: {f.cause}") from None


async def _read_items(run: "Run", reader: dict, data, ctx: dict, branch: Branch) -> list:
    """The items of an S3 object (CSV, JSON, JSONL) or an S3 listing."""
    from .tasks import _call, parse_resource

    params = asl.state_io({"Parameters": reader.get("Parameters") or {}}, branch.language).effective_input(
        data, ctx, branch.variables) if reader.get("Parameters") else {}
    if "Arguments" in reader:
        params = asl.state_io({"Arguments": reader["Arguments"]}, branch.language).effective_input(
            data, ctx, branch.variables)
    kind, service, action = parse_resource(reader.get("Resource", ""))
    config = reader.get("ReaderConfig") or {}
    if service == "s3" and action == "listObjectsV2":
        items, token = [], None
        while True:
            page = await _call(run, "sdk", "s3", "listObjectsV2",
                               "", {**params, **({"ContinuationToken": token} if token else {})})
            items += [{"Etag": o.get("ETag"), "Key": o.get("Key"), "LastModified": o.get("LastModified"),
                       "Size": o.get("Size"), "StorageClass": o.get("StorageClass")} for o in page.get("Contents") or []]
            token = page.get("NextContinuationToken")
            if not token:
                break
    elif service == "s3" and action == "getObject":
        body = (await _call(run, "sdk", "s3", "getObject", "", params)).get("Body") or ""
        kind_ = config.get("InputType", "JSON")
        if kind_ == "CSV":
            rows = list(csv.reader(_io.StringIO(body)))
            if config.get("CSVHeaderLocation") == "GIVEN":
                headers = config.get("CSVHeaders") or []
            else:
                headers, rows = (rows[0] if rows else []), rows[1:]
            items = [dict(zip(headers, r)) for r in rows if r]
        elif kind_ == "JSONL":
            items = [json.loads(line) for line in body.splitlines() if line.strip()]
        else:
            try:
                items = json.loads(body)
            except ValueError:
                raise Failure("States.ItemReaderFailed", "The object is not valid JSON") from None
    else:
        raise Failure("States.Runtime", f"ItemReader Resource '{reader.get('Resource')}' is not supported")
    if config.get("MaxItems"):
        items = items[: int(config["MaxItems"])]
    return items


async def write_results(run: "Run", writer: dict, map_run: dict, results: list, items: list,
                        child_arns: list) -> dict:
    """ResultWriter: the results and a manifest in S3; the state's result names them."""
    from .tasks import _call

    params = writer.get("Parameters") or writer.get("Arguments") or {}
    bucket, prefix = params.get("Bucket"), (params.get("Prefix") or "").rstrip("/")
    run_id = map_run["mapRunArn"].rsplit(":", 1)[-1]
    base = f"{prefix}/{run_id}" if prefix else run_id
    entries = [{"ExecutionArn": child_arns[i] or f"{map_run['mapRunArn']}:{i}", "Input": dumps(items[i]), "Output": dumps(r),
                "Status": "SUCCEEDED"} for i, r in enumerate(results)]
    await _call(run, "sdk", "s3", "putObject", "", {"Bucket": bucket, "Key": f"{base}/SUCCEEDED_0.json",
                                                     "Body": dumps(entries).encode()})
    manifest = {"DestinationBucket": bucket, "MapRunArn": map_run["mapRunArn"],
                "ResultFiles": {"FAILED": [], "PENDING": [],
                                "SUCCEEDED": [{"Key": f"{base}/SUCCEEDED_0.json", "Size": len(dumps(entries))}]}}
    await _call(run, "sdk", "s3", "putObject", "", {"Bucket": bucket, "Key": f"{base}/manifest.json",
                                                     "Body": dumps(manifest).encode()})
    return {"MapRunArn": map_run["mapRunArn"], "ResultWriterDetails": {"Bucket": bucket, "Key": f"{base}/manifest.json"}}
