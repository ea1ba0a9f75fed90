"""EventBridge Schemas: registries, schemas and versions, discoverers, policies, tags, inference."""
import json

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from nubis.testing.fixtures import frozen_clock  # noqa: F401  (the clock stands still)

OPENAPI = {"openapi": "3.0.0", "info": {"version": "1.0.0", "title": "Order"}, "paths": {},
           "components": {"schemas": {"AWSEvent": {"type": "object", "properties": {
               "detail": {"$ref": "#/components/schemas/Order"}}},
               "Order": {"type": "object", "properties": {"id": {"type": "string"}}}}}}


@pytest.fixture
def schemas(aws_client):
    return aws_client("schemas", config=Config(retries={"max_attempts": 1}))


def error_of(call, **kwargs) -> ClientError:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value


def test_registry_lifecycle(schemas):
    r = schemas.create_registry(RegistryName="mine", Description="d", Tags={"k": "v"})
    assert r["RegistryArn"] == "arn:aws:schemas:us-east-1:000000000000:registry/mine"
    e = error_of(schemas.create_registry, RegistryName="mine")
    assert e.response["Error"]["Code"] == "ConflictException" and e.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert schemas.describe_registry(RegistryName="mine")["Description"] == "d"
    schemas.update_registry(RegistryName="mine", Description="new")
    assert schemas.describe_registry(RegistryName="mine")["Description"] == "new"
    assert [x["RegistryName"] for x in schemas.list_registries()["Registries"]] == ["mine"]
    assert schemas.list_tags_for_resource(ResourceArn=r["RegistryArn"])["Tags"] == {"k": "v"}
    schemas.tag_resource(ResourceArn=r["RegistryArn"], Tags={"x": "y"})
    schemas.untag_resource(ResourceArn=r["RegistryArn"], TagKeys=["k"])
    assert schemas.list_tags_for_resource(ResourceArn=r["RegistryArn"])["Tags"] == {"x": "y"}
    schemas.delete_registry(RegistryName="mine")
    e = error_of(schemas.describe_registry, RegistryName="mine")
    assert e.response["Error"]["Code"] == "NotFoundException" and e.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_schema_versions(schemas):
    schemas.create_registry(RegistryName="reg")
    out = schemas.create_schema(RegistryName="reg", SchemaName="Order", Type="OpenApi3", Content=json.dumps(OPENAPI))
    assert out["SchemaVersion"] == "1" and out["SchemaArn"].endswith(":schema/reg/Order")
    changed = dict(OPENAPI, info={"version": "2.0.0", "title": "Order"})
    assert schemas.update_schema(RegistryName="reg", SchemaName="Order", Type="OpenApi3",
                                 Content=json.dumps(changed))["SchemaVersion"] == "2"
    latest = schemas.describe_schema(RegistryName="reg", SchemaName="Order")
    assert latest["SchemaVersion"] == "2" and json.loads(latest["Content"])["info"]["version"] == "2.0.0"
    first = schemas.describe_schema(RegistryName="reg", SchemaName="Order", SchemaVersion="1")
    assert json.loads(first["Content"]) == OPENAPI
    versions = schemas.list_schema_versions(RegistryName="reg", SchemaName="Order")["SchemaVersions"]
    assert [v["SchemaVersion"] for v in versions] == ["1", "2"]
    listed = schemas.list_schemas(RegistryName="reg")["Schemas"]
    assert listed[0]["SchemaName"] == "Order" and listed[0]["VersionCount"] == 2
    found = schemas.search_schemas(RegistryName="reg", Keywords="order")["Schemas"]
    assert [s["SchemaName"] for s in found] == ["Order"]
    exported = json.loads(schemas.export_schema(RegistryName="reg", SchemaName="Order", Type="JSONSchemaDraft4")["Content"])
    assert exported["properties"]["detail"] == {"$ref": "#/definitions/Order"}
    assert exported["definitions"]["Order"]["properties"]["id"] == {"type": "string"}
    schemas.delete_schema_version(RegistryName="reg", SchemaName="Order", SchemaVersion="1")
    assert [v["SchemaVersion"] for v in schemas.list_schema_versions(RegistryName="reg", SchemaName="Order")["SchemaVersions"]] == ["2"]
    e = error_of(schemas.create_schema, RegistryName="reg", SchemaName="Bad", Type="JSONSchemaDraft4", Content="{nope")
    assert e.response["Error"]["Code"] == "BadRequestException"
    e = error_of(schemas.describe_schema, RegistryName="reg", SchemaName="Nope")
    assert e.response["Error"]["Code"] == "NotFoundException"
    schemas.delete_schema(RegistryName="reg", SchemaName="Order")
    assert schemas.list_schemas(RegistryName="reg")["Schemas"] == []


def test_discovered_schema_is_inferred(schemas):
    events = [json.dumps({"source": "my.app", "detail": {"n": 1, "tags": ["a"]}}),
              json.dumps({"source": "my.app", "detail": {"n": 2.5}})]
    doc = json.loads(schemas.get_discovered_schema(Events=events, Type="JSONSchemaDraft4")["Content"])
    detail = doc["properties"]["detail"]
    assert detail["properties"]["n"] == {"type": "number"} and detail["required"] == ["n"]
    assert detail["properties"]["tags"] == {"type": "array", "items": {"type": "string"}}
    api = json.loads(schemas.get_discovered_schema(Events=events, Type="OpenApi3")["Content"])
    assert api["openapi"] == "3.0.0" and "AWSEvent" in api["components"]["schemas"]


def test_discoverers_and_policies(schemas):
    bus = "arn:aws:events:us-east-1:000000000000:event-bus/default"
    d = schemas.create_discoverer(SourceArn=bus, Description="d")
    assert d["State"] == "STARTED"
    assert schemas.stop_discoverer(DiscovererId=d["DiscovererId"])["State"] == "STOPPED"
    assert schemas.describe_discoverer(DiscovererId=d["DiscovererId"])["State"] == "STOPPED"
    assert [x["DiscovererId"] for x in schemas.list_discoverers()["Discoverers"]] == [d["DiscovererId"]]
    schemas.delete_discoverer(DiscovererId=d["DiscovererId"])
    assert schemas.list_discoverers()["Discoverers"] == []

    schemas.create_registry(RegistryName="reg")
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
                                                     "Action": "schemas:DescribeSchema", "Resource": "*"}]}
    out = schemas.put_resource_policy(RegistryName="reg", Policy=json.dumps(policy))
    got = schemas.get_resource_policy(RegistryName="reg")
    assert json.loads(got["Policy"]) == policy and got["RevisionId"] == out["RevisionId"]
    schemas.delete_resource_policy(RegistryName="reg")
    assert error_of(schemas.get_resource_policy, RegistryName="reg").response["Error"]["Code"] == "NotFoundException"


def test_missing_members_are_bad_requests(aws_client):
    raw = aws_client("schemas", config=Config(parameter_validation=False, retries={"max_attempts": 1}))
    e = error_of(raw.create_schema, RegistryName="r", SchemaName="s", Content="{}")
    assert e.response["Error"]["Code"] == "BadRequestException"
    assert "Member must not be null" in e.response["Error"]["Message"]


def test_a_limit_below_one_is_a_bad_request(schemas):
    e = error_of(schemas.list_registries, Limit=0)
    assert e.response["Error"]["Code"] == "BadRequestException"
    e = error_of(schemas.list_registries, Limit=-5)
    assert e.response["Error"]["Code"] == "BadRequestException"
    assert "Registries" in schemas.list_registries(Limit=1)
