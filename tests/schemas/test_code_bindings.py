"""Code bindings: PutCodeBinding, DescribeCodeBinding (CREATE_IN_PROGRESS, then CREATE_COMPLETE on
the clock) and GetCodeBindingSource, a zip of code generated from the schema version."""
import importlib
import io
import json
import sys
import zipfile

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from nubis.testing.fixtures import frozen_clock  # noqa: F401  (the clock stands still)

ORDER = {"openapi": "3.0.0", "info": {"version": "1.0.0", "title": "OrderPlaced"}, "paths": {},
         "components": {"schemas": {
             "AWSEvent": {"type": "object", "properties": {
                 "detail-type": {"type": "string"}, "source": {"type": "string"},
                 "time": {"type": "string", "format": "date-time"},
                 "detail": {"$ref": "#/components/schemas/OrderPlaced"}}},
             "OrderPlaced": {"type": "object", "properties": {
                 "orderId": {"type": "string"}, "total": {"type": "number"}, "class": {"type": "integer"},
                 "items": {"type": "array", "items": {"type": "object", "properties": {
                     "sku": {"type": "string"}, "quantity": {"type": "integer"}}}},
                 "customer": {"type": "object", "properties": {"email": {"type": "string"}}}}}}}}


@pytest.fixture
def schemas(aws_client):
    client = aws_client("schemas", config=Config(retries={"max_attempts": 1}))
    client.create_registry(RegistryName="shop")
    client.create_schema(RegistryName="shop", SchemaName="shop@OrderPlaced", Type="OpenApi3", Content=json.dumps(ORDER))
    return client


def error_of(call, **kwargs) -> ClientError:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value


def binding(**more):
    return {"RegistryName": "shop", "SchemaName": "shop@OrderPlaced", **more}


def source(schemas, language, **more) -> zipfile.ZipFile:
    body = schemas.get_code_binding_source(Language=language, **binding(**more))["Body"].read()
    return zipfile.ZipFile(io.BytesIO(body))


def test_a_binding_is_in_progress_then_complete(nubis, schemas):
    e = error_of(schemas.describe_code_binding, Language="Python36", **binding())
    assert e.response["Error"]["Code"] == "NotFoundException"
    out = schemas.put_code_binding(Language="Python36", **binding())
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert out["Status"] == "CREATE_IN_PROGRESS" and out["SchemaVersion"] == "1"
    assert schemas.describe_code_binding(Language="Python36", **binding())["Status"] == "CREATE_IN_PROGRESS"
    e = error_of(schemas.get_code_binding_source, Language="Python36", **binding())
    assert e.response["Error"]["Code"] == "NotFoundException"
    nubis.advance(2)
    desc = schemas.describe_code_binding(Language="Python36", **binding(SchemaVersion="1"))
    assert desc["Status"] == "CREATE_COMPLETE" and desc["CreationDate"] == out["CreationDate"]
    # Asking again changes nothing; the waiter boto3 ships sees it done.
    assert schemas.put_code_binding(Language="Python36", **binding())["Status"] == "CREATE_COMPLETE"
    schemas.get_waiter("code_binding_exists").wait(Language="Python36", **binding())
    # Another language is a binding of its own.
    assert schemas.put_code_binding(Language="Go1", **binding())["Status"] == "CREATE_IN_PROGRESS"


def test_the_python_binding_imports_and_round_trips_an_event(nubis, schemas, tmp_path):
    schemas.put_code_binding(Language="Python36", **binding())
    nubis.advance(2)
    z = source(schemas, "Python36")
    assert "schema/shop_order_placed/marshaller.py" in z.namelist()
    z.extractall(tmp_path)
    sys.path.insert(0, str(tmp_path))
    try:
        pkg = importlib.import_module("schema.shop_order_placed")
        event = {"detail-type": "OrderPlaced", "source": "shop", "time": "2024-05-06T07:08:09Z",
                 "detail": {"orderId": "o-1", "total": 12.5, "class": 2,
                            "items": [{"sku": "a", "quantity": 3}], "customer": {"email": "x@example.com"}}}
        obj = pkg.Marshaller.unmarshall(event)
        assert type(obj).__name__ == "AWSEvent" and obj.detail_type == "OrderPlaced"
        assert obj.detail.order_id == "o-1" and obj.detail.class_ == 2
        assert obj.detail.items[0].quantity == 3 and obj.detail.customer.email == "x@example.com"
        assert obj.time.year == 2024 and obj.time.utcoffset().total_seconds() == 0
        assert pkg.Marshaller.marshall(obj) == event
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == "schema" or m.startswith("schema.")]:
            del sys.modules[name]
    # The same version gives the same bytes.
    again = schemas.get_code_binding_source(Language="Python36", **binding())["Body"].read()
    assert again == schemas.get_code_binding_source(Language="Python36", **binding())["Body"].read()


def test_java_typescript_and_go_bindings(nubis, schemas):
    for language in ("Java8", "TypeScript3", "Go1"):
        schemas.put_code_binding(Language=language, **binding())
    nubis.advance(2)
    java = source(schemas, "Java8")
    order = java.read("src/main/java/schema/shop_order_placed/OrderPlaced.java").decode()
    assert "public class OrderPlaced {" in order and '@JsonProperty("orderId")' in order
    assert "private java.util.List<ItemsItem> items" in order and "public Double getTotal()" in order
    assert "src/main/java/schema/shop_order_placed/marshaller/Marshaller.java" in java.namelist()
    ts = source(schemas, "TypeScript3")
    event = ts.read("lib/schema/shop_order_placed/AWSEvent.ts").decode()
    assert '"detail-type"?: string;' in event and "detail?: OrderPlaced;" in event and "time?: Date;" in event
    go = source(schemas, "Go1")
    text = go.read("schema/shop_order_placed/order_placed.go").decode()
    assert "type OrderPlaced struct {" in text and '`json:"orderId,omitempty"`' in text
    assert "Items []ItemsItem" in text


def test_versions_and_errors(nubis, schemas):
    schemas.update_schema(RegistryName="shop", SchemaName="shop@OrderPlaced", Type="OpenApi3",
                          Content=json.dumps({**ORDER, "components": {"schemas": {"AWSEvent": {
                              "type": "object", "properties": {"renamed": {"type": "boolean"}}}}}}))
    assert schemas.put_code_binding(Language="TypeScript3", **binding())["SchemaVersion"] == "2"
    schemas.put_code_binding(Language="TypeScript3", **binding(SchemaVersion="1"))
    nubis.advance(2)
    assert "renamed?: boolean;" in source(schemas, "TypeScript3").read("lib/schema/shop_order_placed/AWSEvent.ts").decode()
    assert "OrderPlaced.ts" in " ".join(source(schemas, "TypeScript3", SchemaVersion="1").namelist())

    def err(call, **kwargs):
        e = error_of(call, **kwargs)
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]

    assert err(schemas.put_code_binding, Language="Cobol", **binding()) == ("BadRequestException", 400)
    assert err(schemas.put_code_binding, Language="Java8", **binding(SchemaVersion="9")) == ("NotFoundException", 404)
    assert err(schemas.put_code_binding, Language="Java8", RegistryName="shop", SchemaName="nope") == \
        ("NotFoundException", 404)
    assert err(schemas.describe_code_binding, Language="Java8", RegistryName="nope", SchemaName="x") == \
        ("NotFoundException", 404)
    # Deleting the version deletes its bindings.
    schemas.delete_schema_version(RegistryName="shop", SchemaName="shop@OrderPlaced", SchemaVersion="1")
    assert err(schemas.describe_code_binding, Language="TypeScript3", **binding(SchemaVersion="1"))[0] == \
        "NotFoundException"
    assert schemas.describe_code_binding(Language="TypeScript3", **binding())["Status"] == "CREATE_COMPLETE"


def test_bindings_survive_a_restart(server_process, tmp_path):
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data)
    schemas = server.client("schemas")
    schemas.create_registry(RegistryName="shop")
    schemas.create_schema(RegistryName="shop", SchemaName="shop@OrderPlaced", Type="OpenApi3", Content=json.dumps(ORDER))
    created = schemas.put_code_binding(Language="Go1", **binding())["CreationDate"]
    server.kill9()
    server = server_process("--data-dir", data)
    schemas = server.client("schemas")
    server.post("/_nubis/clock", {"advance_seconds": 5})
    desc = schemas.describe_code_binding(Language="Go1", **binding())
    assert desc["Status"] == "CREATE_COMPLETE" and desc["CreationDate"] == created
    assert "schema/shop_order_placed/marshaller.go" in source(schemas, "Go1").namelist()
