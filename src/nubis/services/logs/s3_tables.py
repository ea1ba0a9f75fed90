"""S3 Table integrations' data sources (AssociateSourceToS3TableIntegration,
DisassociateSourceFromS3TableIntegration, ListSourcesForS3TableIntegration).

An S3 Table integration is created by CloudWatch's observability admin service on S3 Tables,
neither of which nubis runs: no integration exists, so each of these answers as AWS does for
an integration (or an association) that does not exist. A mixin of ``LogsProvider``.
"""
from __future__ import annotations

from ...protocol.errors import ServiceError
from . import validation as v


def _integration_arn(params: dict) -> str:
    arn = v.text(params, "integrationArn", 1)
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[2] or not parts[5]:
        raise v.validation(f"Invalid integrationArn: {arn}")
    return arn


def _no_integration(arn: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", f"The S3 Table integration {arn} does not exist.")


class S3TableIntegrations:
    def associate_source_to_s3_table_integration(self, ctx, params: dict) -> dict:
        arn = _integration_arn(params)
        source = params.get("dataSource")
        if source is None:
            raise v.bad_value("null", "dataSource", "Member must not be null")
        v.text(source, "name", 1)
        v.text(source, "type", 1, optional=True)
        raise _no_integration(arn)

    def disassociate_source_from_s3_table_integration(self, ctx, params: dict) -> dict:
        identifier = v.text(params, "identifier", 1, 2048)
        raise ServiceError("ResourceNotFoundException", f"The data source association {identifier} does not exist.")

    def list_sources_for_s3_table_integration(self, ctx, params: dict) -> dict:
        arn = _integration_arn(params)
        size = params.get("maxResults")
        if size is not None and not 1 <= size <= 100:
            raise v.bad_value(size, "maxResults", "Member must have value between 1 and 100")
        raise _no_integration(arn)
