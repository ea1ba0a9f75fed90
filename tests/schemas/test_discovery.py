"""Schema discovery: events put on a bus with a STARTED discoverer become schemas in discovered-schemas."""
import json

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

REGISTRY = "discovered-schemas"


@pytest.fixture
def schemas(aws_client):
    return aws_client("schemas", config=Config(retries={"max_attempts": 1}))


@pytest.fixture
def events(aws_client):
    return aws_client("events")


def bus_arn(events, name="default"):
    return events.describe_event_bus(Name=name)["Arn"]


def put(events, source, detail_type, detail, bus="default"):
    r = events.put_events(Entries=[{"Source": source, "DetailType": detail_type, "Detail": json.dumps(detail),
                                    "EventBusName": bus}])
    assert r["FailedEntryCount"] == 0


def names(schemas):
    try:
        return sorted(s["SchemaName"] for s in schemas.list_schemas(RegistryName=REGISTRY)["Schemas"])
    except ClientError as e:
        assert e.response["Error"]["Code"] == "NotFoundException"
        return []


def content(schemas, name, version=None):
    kwargs = {"SchemaVersion": version} if version else {}
    d = schemas.describe_schema(RegistryName=REGISTRY, SchemaName=name, **kwargs)
    assert d["Type"] == "OpenApi3"
    return json.loads(d["Content"])


def test_events_on_a_discovered_bus_become_schemas(schemas, events):
    schemas.create_discoverer(SourceArn=bus_arn(events))
    put(events, "my.app", "Order Placed", {"orderId": "o-1", "total": 12.5, "items": [{"sku": "a", "qty": 2}]})
    put(events, "my.shop", "Customer signed-up", {"customerId": "c-1", "vip": True})
    assert names(schemas) == ["my.app@OrderPlaced", "my.shop@CustomerSignedUp"]
    listed = {s["SchemaName"]: s for s in schemas.list_schemas(RegistryName=REGISTRY)["Schemas"]}
    assert listed["my.app@OrderPlaced"]["VersionCount"] == 1
    assert listed["my.app@OrderPlaced"]["SchemaArn"] == \
        "arn:aws:schemas:us-east-1:000000000000:schema/discovered-schemas/my.app@OrderPlaced"

    doc = content(schemas, "my.app@OrderPlaced")
    envelope = doc["components"]["schemas"]["AWSEvent"]
    assert envelope["x-amazon-events-source"] == "my.app"
    assert envelope["x-amazon-events-detail-type"] == "Order Placed"
    assert envelope["properties"]["detail"] == {"$ref": "#/components/schemas/OrderPlaced"}
    assert {"source", "detail-type", "time", "account", "region", "id"} <= set(envelope["properties"])
    detail = doc["components"]["schemas"]["OrderPlaced"]
    assert detail["properties"]["orderId"] == {"type": "string"}
    assert detail["properties"]["total"] == {"type": "number"}
    assert detail["properties"]["items"]["items"]["properties"]["qty"] == {"type": "integer"}
    assert content(schemas, "my.shop@CustomerSignedUp")["components"]["schemas"]["CustomerSignedUp"][
        "properties"]["vip"] == {"type": "boolean"}
    assert schemas.describe_registry(RegistryName=REGISTRY)["RegistryName"] == REGISTRY


def test_a_new_field_adds_a_version_and_the_same_shape_does_not(schemas, events):
    schemas.create_discoverer(SourceArn=bus_arn(events))
    put(events, "my.app", "OrderPlaced", {"orderId": "o-1"})
    put(events, "my.app", "OrderPlaced", {"orderId": "o-2"})
    put(events, "my.app", "OrderPlaced", {"orderId": "o-3"})
    versions = schemas.list_schema_versions(RegistryName=REGISTRY, SchemaName="my.app@OrderPlaced")["SchemaVersions"]
    assert [v["SchemaVersion"] for v in versions] == ["1"]

    put(events, "my.app", "OrderPlaced", {"orderId": "o-4", "coupon": "SPRING"})
    versions = schemas.list_schema_versions(RegistryName=REGISTRY, SchemaName="my.app@OrderPlaced")["SchemaVersions"]
    assert [v["SchemaVersion"] for v in versions] == ["1", "2"]
    assert "coupon" not in content(schemas, "my.app@OrderPlaced", "1")["components"]["schemas"]["OrderPlaced"][
        "properties"]
    latest = content(schemas, "my.app@OrderPlaced")["components"]["schemas"]["OrderPlaced"]
    assert latest["properties"]["coupon"] == {"type": "string"}
    assert "coupon" not in latest["required"]  # the first events had none


def test_a_batch_of_events_makes_one_version(schemas, events):
    schemas.create_discoverer(SourceArn=bus_arn(events))
    events.put_events(Entries=[{"Source": "my.app", "DetailType": "Tick", "Detail": json.dumps({"n": i, **extra})}
                               for i, extra in enumerate([{}, {"a": 1}, {"b": "x"}])])
    d = schemas.describe_schema(RegistryName=REGISTRY, SchemaName="my.app@Tick")
    assert d["SchemaVersion"] == "1"
    assert set(json.loads(d["Content"])["components"]["schemas"]["Tick"]["properties"]) == {"n", "a", "b"}


def test_a_stopped_discoverer_adds_nothing(schemas, events):
    d = schemas.create_discoverer(SourceArn=bus_arn(events))
    schemas.stop_discoverer(DiscovererId=d["DiscovererId"])
    put(events, "my.app", "OrderPlaced", {"orderId": "o-1"})
    assert names(schemas) == []

    schemas.start_discoverer(DiscovererId=d["DiscovererId"])
    put(events, "my.app", "OrderPlaced", {"orderId": "o-1"})
    assert names(schemas) == ["my.app@OrderPlaced"]

    schemas.stop_discoverer(DiscovererId=d["DiscovererId"])
    put(events, "my.app", "OrderPlaced", {"orderId": "o-1", "more": 1})
    assert schemas.describe_schema(RegistryName=REGISTRY, SchemaName="my.app@OrderPlaced")["SchemaVersion"] == "1"

    schemas.start_discoverer(DiscovererId=d["DiscovererId"])
    schemas.delete_discoverer(DiscovererId=d["DiscovererId"])
    put(events, "my.app", "Other", {"x": 1})
    assert names(schemas) == ["my.app@OrderPlaced"]


def test_a_bus_without_a_discoverer_is_untouched(schemas, events):
    events.create_event_bus(Name="watched")
    events.create_event_bus(Name="quiet")
    schemas.create_discoverer(SourceArn=bus_arn(events, "watched"))
    put(events, "my.app", "Quiet", {"x": 1}, bus="quiet")
    put(events, "my.app", "Quiet", {"x": 1})  # the default bus has no discoverer either
    assert names(schemas) == []
    put(events, "my.app", "Loud", {"x": 1}, bus="watched")
    assert names(schemas) == ["my.app@Loud"]


def test_cross_account_events_follow_the_discoverers_setting(schemas, events, aws_client):
    events.put_permission(Principal="222222222222", StatementId="other", Action="events:PutEvents")
    other = aws_client("events", aws_access_key_id="222222222222", aws_secret_access_key="x")
    d = schemas.create_discoverer(SourceArn=bus_arn(events))
    put(other, "their.app", "Hello", {"x": 1}, bus=bus_arn(events))
    assert names(schemas) == ["their.app@Hello"]
    schemas.update_discoverer(DiscovererId=d["DiscovererId"], CrossAccount=False)
    put(other, "their.app", "Bye", {"x": 1}, bus=bus_arn(events))
    put(events, "my.app", "Mine", {"x": 1})
    assert names(schemas) == ["my.app@Mine", "their.app@Hello"]
