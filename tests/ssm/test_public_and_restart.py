"""Public parameters under /aws/service/, a restart, the AWS CLI."""
import json

from nubis.testing.cli import aws_json

from .conftest import code, error_of


def test_latest_amazon_linux_ami(ssm, aws_client):
    name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    p = ssm.get_parameter(Name=name)["Parameter"]
    assert p["Value"].startswith("ami-") and p["DataType"] == "aws:ec2:image" and p["Type"] == "String"
    assert p["ARN"] == f"arn:aws:ssm:us-east-1::parameter{name}"
    west = aws_client("ssm", region="us-west-2").get_parameter(Name=name)["Parameter"]["Value"]
    assert west.startswith("ami-") and west != p["Value"]
    out = ssm.get_parameters_by_path(Path="/aws/service/ami-amazon-linux-latest")
    assert name in [x["Name"] for x in out["Parameters"]]
    assert code(error_of(ssm.get_parameter, Name="/aws/service/ami-amazon-linux-latest/nope")) == "ParameterNotFound"
    assert code(error_of(ssm.put_parameter, Name=name, Value="ami-0123456789abcdef0", Type="String",
                         Overwrite=True)) == "ValidationException"


def test_regions_and_ecs_ami(ssm):
    pages = ssm.get_paginator("get_parameters_by_path").paginate(Path="/aws/service/global-infrastructure/regions")
    regions = [p["Value"] for page in pages for p in page["Parameters"]]
    assert "us-east-1" in regions and "eu-west-1" in regions and len(regions) > 20
    long_name = ssm.get_parameter(Name="/aws/service/global-infrastructure/regions/eu-west-1/longName")
    assert long_name["Parameter"]["Value"] == "Europe (Ireland)"
    rec = ssm.get_parameter(Name="/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended")["Parameter"]
    doc = json.loads(rec["Value"])
    image = ssm.get_parameter(Name="/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id")
    assert doc["image_id"] == image["Parameter"]["Value"]
    out = ssm.get_parameters(Names=["/aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id", "/x"])
    assert len(out["Parameters"]) == 1 and out["InvalidParameters"] == ["/x"]


def test_restart_keeps_parameters(server_process, tmp_path):
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data)
    ssm = server.client("ssm")
    ssm.put_parameter(Name="/keep/a", Value="1", Type="String", Tags=[{"Key": "k", "Value": "v"}])
    ssm.put_parameter(Name="/keep/a", Value="2", Type="String", Overwrite=True)
    ssm.label_parameter_version(Name="/keep/a", ParameterVersion=1, Labels=["first"])
    ssm.put_parameter(Name="/keep/secret", Value="s3cret", Type="SecureString")
    server.kill9()

    restarted = server_process("--data-dir", data, port=server.port)
    ssm = restarted.client("ssm")
    assert ssm.get_parameter(Name="/keep/a")["Parameter"]["Value"] == "2"
    assert ssm.get_parameter(Name="/keep/a:first")["Parameter"]["Value"] == "1"
    assert ssm.get_parameter(Name="/keep/secret", WithDecryption=True)["Parameter"]["Value"] == "s3cret"
    assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/keep/a")["TagList"] == \
        [{"Key": "k", "Value": "v"}]


def test_cli_put_and_get_parameter(nubis_endpoint):
    def cli(*args):
        return aws_json(nubis_endpoint, "ssm", *args)

    assert cli("put-parameter", "--name", "/cli/p", "--value", "hello", "--type", "String")["Version"] == 1
    assert cli("get-parameter", "--name", "/cli/p")["Parameter"]["Value"] == "hello"
