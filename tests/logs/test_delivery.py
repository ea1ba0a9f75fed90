"""Log delivery: sources, destinations, their policies and the deliveries pairing them."""
import json

import pytest

from .conftest import code, error_of

BUCKET_ARN = "arn:aws:s3:::my-logs"
GROUP_ARN = "arn:aws:logs:us-east-1:000000000000:log-group:/vended"
FIREHOSE_ARN = "arn:aws:firehose:us-east-1:000000000000:deliverystream/vended"
SOURCE_RESOURCE = "arn:aws:cloudfront::000000000000:distribution/E1ABCDEF"
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": "111111111111"}, "Action": "logs:CreateDelivery",
    "Resource": "*"}]})


@pytest.fixture
def source(logs):
    return logs.put_delivery_source(name="cf", resourceArn=SOURCE_RESOURCE, logType="ACCESS_LOGS",
                                    tags={"team": "web"})["deliverySource"]


@pytest.fixture
def s3_destination(logs):
    return logs.put_delivery_destination(name="to-s3", outputFormat="json",
                                         deliveryDestinationConfiguration={"destinationResourceArn": BUCKET_ARN}
                                         )["deliveryDestination"]


def test_delivery_source_lifecycle(logs, source):
    assert source["arn"] == "arn:aws:logs:us-east-1:000000000000:delivery-source:cf"
    assert (source["service"], source["logType"], source["resourceArns"]) == (
        "cloudfront", "ACCESS_LOGS", [SOURCE_RESOURCE])
    assert logs.get_delivery_source(name="cf")["deliverySource"]["tags"] == {"team": "web"}
    # An update keeps the log type; changing it conflicts.
    logs.put_delivery_source(name="cf", resourceArn=SOURCE_RESOURCE.replace("E1ABCDEF", "E2"), logType="ACCESS_LOGS")
    assert logs.get_delivery_source(name="cf")["deliverySource"]["resourceArns"] == [
        SOURCE_RESOURCE.replace("E1ABCDEF", "E2")]
    e = error_of(logs.put_delivery_source, name="cf", resourceArn=SOURCE_RESOURCE, logType="OTHER_LOGS")
    assert code(e) == "ConflictException"
    assert code(error_of(logs.put_delivery_source, name="bad name", resourceArn=SOURCE_RESOURCE,
                         logType="ACCESS_LOGS")) == "ValidationException"
    assert code(error_of(logs.put_delivery_source, name="x", resourceArn="not-an-arn",
                         logType="ACCESS_LOGS")) == "ValidationException"
    assert [s["name"] for s in logs.describe_delivery_sources()["deliverySources"]] == ["cf"]
    logs.delete_delivery_source(name="cf")
    assert code(error_of(logs.get_delivery_source, name="cf")) == "ResourceNotFoundException"
    assert code(error_of(logs.delete_delivery_source, name="cf")) == "ResourceNotFoundException"


def test_delivery_destinations_take_their_type_from_the_resource(logs, s3_destination):
    assert s3_destination["deliveryDestinationType"] == "S3"
    assert s3_destination["arn"] == "arn:aws:logs:us-east-1:000000000000:delivery-destination:to-s3"
    cwl = logs.put_delivery_destination(name="to-cwl", deliveryDestinationConfiguration={
        "destinationResourceArn": GROUP_ARN})["deliveryDestination"]
    fh = logs.put_delivery_destination(name="to-fh", deliveryDestinationConfiguration={
        "destinationResourceArn": FIREHOSE_ARN})["deliveryDestination"]
    xray = logs.put_delivery_destination(name="to-xray", deliveryDestinationType="XRAY")["deliveryDestination"]
    assert (cwl["deliveryDestinationType"], fh["deliveryDestinationType"], xray["deliveryDestinationType"]) == (
        "CWL", "FH", "XRAY")
    e = error_of(logs.put_delivery_destination, name="bad", deliveryDestinationType="FH",
                 deliveryDestinationConfiguration={"destinationResourceArn": BUCKET_ARN})
    assert code(e) == "ValidationException"
    assert code(error_of(logs.put_delivery_destination, name="bad")) == "ValidationException"
    # Changing a destination's type conflicts.
    e = error_of(logs.put_delivery_destination, name="to-s3",
                 deliveryDestinationConfiguration={"destinationResourceArn": GROUP_ARN})
    assert code(e) == "ConflictException"
    page = logs.describe_delivery_destinations(limit=3)
    assert [d["name"] for d in page["deliveryDestinations"]] == ["to-cwl", "to-fh", "to-s3"]
    rest = logs.describe_delivery_destinations(limit=3, nextToken=page["nextToken"])
    assert [d["name"] for d in rest["deliveryDestinations"]] == ["to-xray"] and "nextToken" not in rest
    logs.delete_delivery_destination(name="to-xray")
    assert code(error_of(logs.get_delivery_destination, name="to-xray")) == "ResourceNotFoundException"


def test_delivery_destination_policy(logs, s3_destination):
    assert "policy" not in logs.get_delivery_destination_policy(deliveryDestinationName="to-s3")
    out = logs.put_delivery_destination_policy(deliveryDestinationName="to-s3", deliveryDestinationPolicy=POLICY)
    assert out["policy"]["deliveryDestinationPolicy"] == POLICY
    got = logs.get_delivery_destination_policy(deliveryDestinationName="to-s3")
    assert got["policy"]["deliveryDestinationPolicy"] == POLICY
    # Updating the destination keeps its policy.
    logs.put_delivery_destination(name="to-s3", outputFormat="plain",
                                  deliveryDestinationConfiguration={"destinationResourceArn": BUCKET_ARN})
    assert logs.get_delivery_destination_policy(deliveryDestinationName="to-s3")["policy"]
    assert code(error_of(logs.put_delivery_destination_policy, deliveryDestinationName="to-s3",
                         deliveryDestinationPolicy="{nope")) == "InvalidParameterException"
    assert code(error_of(logs.put_delivery_destination_policy, deliveryDestinationName="nope",
                         deliveryDestinationPolicy=POLICY)) == "ResourceNotFoundException"
    logs.delete_delivery_destination_policy(deliveryDestinationName="to-s3")
    assert "policy" not in logs.get_delivery_destination_policy(deliveryDestinationName="to-s3")
    assert code(error_of(logs.delete_delivery_destination_policy, deliveryDestinationName="to-s3")) == \
        "ResourceNotFoundException"


def test_deliveries_pair_a_source_with_a_destination(logs, source, s3_destination):
    d = logs.create_delivery(deliverySourceName="cf", deliveryDestinationArn=s3_destination["arn"],
                             recordFields=["date", "time"], fieldDelimiter=",",
                             s3DeliveryConfiguration={"suffixPath": "{yyyy}/{MM}", "enableHiveCompatiblePath": True},
                             tags={"k": "v"})["delivery"]
    assert d["deliveryDestinationType"] == "S3" and d["arn"].endswith(":delivery:" + d["id"])
    got = logs.get_delivery(id=d["id"])["delivery"]
    assert got["recordFields"] == ["date", "time"] and got["s3DeliveryConfiguration"] == {
        "suffixPath": "{yyyy}/{MM}", "enableHiveCompatiblePath": True}
    # One delivery per source and destination.
    e = error_of(logs.create_delivery, deliverySourceName="cf", deliveryDestinationArn=s3_destination["arn"])
    assert code(e) == "ConflictException"
    assert code(error_of(logs.create_delivery, deliverySourceName="nope",
                         deliveryDestinationArn=s3_destination["arn"])) == "ResourceNotFoundException"
    assert code(error_of(logs.create_delivery, deliverySourceName="cf",
                         deliveryDestinationArn=s3_destination["arn"] + "x")) == "ResourceNotFoundException"
    # Neither end can go while the delivery stands.
    assert code(error_of(logs.delete_delivery_source, name="cf")) == "ConflictException"
    assert code(error_of(logs.delete_delivery_destination, name="to-s3")) == "ConflictException"
    logs.update_delivery_configuration(id=d["id"], recordFields=["date"], s3DeliveryConfiguration={
        "enableHiveCompatiblePath": False})
    got = logs.get_delivery(id=d["id"])["delivery"]
    assert got["recordFields"] == ["date"] and got["fieldDelimiter"] == ","
    assert got["s3DeliveryConfiguration"] == {"suffixPath": "{yyyy}/{MM}", "enableHiveCompatiblePath": False}
    assert [x["id"] for x in logs.describe_deliveries()["deliveries"]] == [d["id"]]
    # s3DeliveryConfiguration belongs to S3 destinations only.
    cwl = logs.put_delivery_destination(name="to-cwl", deliveryDestinationConfiguration={
        "destinationResourceArn": GROUP_ARN})["deliveryDestination"]
    e = error_of(logs.create_delivery, deliverySourceName="cf", deliveryDestinationArn=cwl["arn"],
                 s3DeliveryConfiguration={"suffixPath": "x"})
    assert code(e) == "ValidationException"
    logs.delete_delivery(id=d["id"])
    assert code(error_of(logs.get_delivery, id=d["id"])) == "ResourceNotFoundException"
    assert code(error_of(logs.delete_delivery, id=d["id"])) == "ResourceNotFoundException"
    assert code(error_of(logs.update_delivery_configuration, id=d["id"])) == "ResourceNotFoundException"
    logs.delete_delivery_source(name="cf")
    logs.delete_delivery_destination(name="to-s3")


def test_delivery_resources_take_tags(logs, source, s3_destination):
    logs.tag_resource(resourceArn=source["arn"], tags={"env": "dev"})
    assert logs.list_tags_for_resource(resourceArn=source["arn"])["tags"] == {"team": "web", "env": "dev"}
    logs.untag_resource(resourceArn=source["arn"], tagKeys=["team"])
    assert logs.get_delivery_source(name="cf")["deliverySource"]["tags"] == {"env": "dev"}
    logs.tag_resource(resourceArn=s3_destination["arn"], tags={"a": "b"})
    assert logs.list_tags_for_resource(resourceArn=s3_destination["arn"])["tags"] == {"a": "b"}
    missing = s3_destination["arn"].replace("to-s3", "gone")
    assert code(error_of(logs.list_tags_for_resource, resourceArn=missing)) == "ResourceNotFoundException"


def test_configuration_templates(logs):
    templates = logs.describe_configuration_templates(service="cloudfront")["configurationTemplates"]
    assert {t["deliveryDestinationType"] for t in templates} == {"S3", "CWL", "FH"}
    assert all(t["logType"] == "ACCESS_LOGS" for t in templates)
    only_s3 = logs.describe_configuration_templates(service="cloudfront", deliveryDestinationTypes=["S3"])
    [t] = only_s3["configurationTemplates"]
    assert "parquet" in t["allowedOutputFormats"]
    assert logs.describe_configuration_templates(service="nothing")["configurationTemplates"] == []
