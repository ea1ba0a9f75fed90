"""A distributed Map over a CSV object in S3: items read by the ItemReader, batched,
processed, the results written by the ResultWriter, and the map run described."""
import json

from .conftest import finished, history, types

CSV = "id,name\n1,ann\n2,bob\n3,cy\n4,dee\n5,eve\n"


def test_distributed_map_over_an_s3_csv(sfn, make_machine, aws_client):
    s3 = aws_client("s3")
    s3.create_bucket(Bucket="input-bucket")
    s3.put_object(Bucket="input-bucket", Key="people.csv", Body=CSV.encode())
    arn = make_machine("dmap", {"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "End": True, "MaxConcurrency": 2,
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                       "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
                       "Parameters": {"Bucket": "input-bucket", "Key.$": "$.key"}},
        "ItemBatcher": {"MaxItemsPerBatch": 2},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                          "StartAt": "Names", "States": {"Names": {
                              "Type": "Pass", "Parameters": {"names.$": "$.Items[*].name"}, "End": True}}},
        "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
                         "Parameters": {"Bucket": "input-bucket", "Prefix": "out"}}}}})
    ex = sfn.start_execution(stateMachineArn=arn, input='{"key": "people.csv"}')["executionArn"]
    d = finished(sfn, ex)
    assert d["status"] == "SUCCEEDED", (d.get("error"), d.get("cause"))
    out = json.loads(d["output"])
    assert out["ResultWriterDetails"]["Bucket"] == "input-bucket"
    manifest = json.loads(s3.get_object(Bucket="input-bucket", Key=out["ResultWriterDetails"]["Key"])["Body"].read())
    [results_file] = manifest["ResultFiles"]["SUCCEEDED"]
    results = json.loads(s3.get_object(Bucket="input-bucket", Key=results_file["Key"])["Body"].read())
    assert [json.loads(r["Output"]) for r in results] == [
        {"names": ["ann", "bob"]}, {"names": ["cy", "dee"]}, {"names": ["eve"]}]

    events = history(sfn, ex)
    assert types(events) == ["ExecutionStarted", "MapStateEntered", "MapRunStarted", "MapRunSucceeded",
                             "MapStateExited", "ExecutionSucceeded"]
    map_run = events[2]["mapRunStartedEventDetails"]["mapRunArn"]
    assert map_run == out["MapRunArn"] and ":mapRun:dmap/Each:" in map_run
    described = sfn.describe_map_run(mapRunArn=map_run)
    assert described["status"] == "SUCCEEDED" and described["maxConcurrency"] == 2
    assert described["itemCounts"]["total"] == 3 and described["itemCounts"]["succeeded"] == 3
    assert [r["mapRunArn"] for r in sfn.list_map_runs(executionArn=ex)["mapRuns"]] == [map_run]
    sfn.update_map_run(mapRunArn=map_run, maxConcurrency=5)
    assert sfn.describe_map_run(mapRunArn=map_run)["maxConcurrency"] == 5

    # Each batch ran as a child execution of the map run, with its own history.
    children = sfn.list_executions(mapRunArn=map_run)["executions"]
    assert len(children) == 3 and {c["status"] for c in children} == {"SUCCEEDED"}
    assert {c["executionArn"] for c in children} == {r["ExecutionArn"] for r in results}
    child = sfn.describe_execution(executionArn=children[0]["executionArn"])
    assert child["mapRunArn"] == map_run and child["stateMachineArn"].endswith(":stateMachine:dmap/Each")
    assert types(history(sfn, child["executionArn"])) == [
        "ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]


def test_item_reader_lists_objects(sfn, make_machine, aws_client):
    s3 = aws_client("s3")
    s3.create_bucket(Bucket="listing")
    for k in ("logs/a", "logs/b", "other/c"):
        s3.put_object(Bucket="listing", Key=k, Body=b"x")
    arn = make_machine("lister", {"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "End": True,
        "ItemReader": {"Resource": "arn:aws:states:::s3:listObjectsV2",
                       "Parameters": {"Bucket": "listing", "Prefix": "logs/"}},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                          "StartAt": "Key", "States": {"Key": {"Type": "Pass", "OutputPath": "$.Key",
                                                               "End": True}}}}}})
    d = finished(sfn, sfn.start_execution(stateMachineArn=arn)["executionArn"])
    assert json.loads(d["output"]) == ["logs/a", "logs/b"]


def test_a_missing_object_fails_the_item_reader(sfn, make_machine, aws_client):
    aws_client("s3").create_bucket(Bucket="empty-bucket")
    arn = make_machine("noreader", {"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "End": True,
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSON"},
                       "Parameters": {"Bucket": "empty-bucket", "Key": "nothing.json"}},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                          "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}}}})
    d = finished(sfn, sfn.start_execution(stateMachineArn=arn)["executionArn"])
    assert (d["status"], d["error"]) == ("FAILED", "States.ItemReaderFailed")
