"""The catalogue of providers nubis has, by botocore's service name.

A provider is imported and started on first use, so that nubis starts in a
fraction of a second whatever the catalogue's size.
"""
from __future__ import annotations

PROVIDERS: dict[str, str] = {
    "dynamodb": "nubis.services.dynamodb.provider:DynamoDBProvider",
    "dynamodbstreams": "nubis.services.dynamodbstreams.provider:DynamoDBStreamsProvider",
    "events": "nubis.services.events.provider:EventsProvider",
    "firehose": "nubis.services.firehose.provider:FirehoseProvider",
    "iam": "nubis.services.iam.provider:IamProvider",
    "kinesis": "nubis.services.kinesis.provider:KinesisProvider",
    "kms": "nubis.services.kms.provider:KmsProvider",
    "lambda": "nubis.services.lambda.provider:LambdaProvider",
    "logs": "nubis.services.logs.provider:LogsProvider",
    "s3": "nubis.services.s3.provider:S3Provider",
    "s3control": "nubis.services.s3control.provider:S3ControlProvider",
    "scheduler": "nubis.services.scheduler.provider:SchedulerProvider",
    "schemas": "nubis.services.schemas.provider:SchemasProvider",
    "secretsmanager": "nubis.services.secretsmanager.provider:SecretsManagerProvider",
    "sns": "nubis.services.sns.provider:SnsProvider",
    "sqs": "nubis.services.sqs.provider:SqsProvider",
    "ssm": "nubis.services.ssm.provider:SsmProvider",
    "stepfunctions": "nubis.services.stepfunctions.provider:StepFunctionsProvider",
    "sts": "nubis.services.sts.provider:StsProvider",
}


def parse_extra(spec: str) -> dict[str, str]:
    """``"ssm=pkg.mod:Class,..."`` (the ``providers`` setting) as a dict."""
    out = {}
    for item in filter(None, (s.strip() for s in spec.split(","))):
        name, _, target = item.partition("=")
        out[name.strip()] = target.strip()
    return out
