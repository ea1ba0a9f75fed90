"""OpenSearch integrations: stored once per account; nubis cannot provision them and says so."""
from .conftest import code, error_of

CONFIG = {"openSearchResourceConfig": {"dataSourceRoleArn": "arn:aws:iam::000000000000:role/r",
                                       "dashboardViewerPrincipals": ["arn:aws:iam::000000000000:user/u"],
                                       "retentionDays": 7}}


def test_integration_lifecycle(logs):
    out = logs.put_integration(integrationName="dash", resourceConfig=CONFIG, integrationType="OPENSEARCH")
    assert out["integrationStatus"] == "FAILED"
    got = logs.get_integration(integrationName="dash")
    status = got["integrationDetails"]["openSearchIntegrationDetails"]["dataSource"]["status"]
    assert status["status"] == "ERROR" and "OpenSearch" in status["statusMessage"]
    assert logs.list_integrations(integrationNamePrefix="da")["integrationSummaries"] == [
        {"integrationName": "dash", "integrationType": "OPENSEARCH", "integrationStatus": "FAILED"}]
    assert logs.list_integrations(integrationStatus="ACTIVE")["integrationSummaries"] == []
    # One per account, and not modified by a second put.
    assert code(error_of(logs.put_integration, integrationName="dash", resourceConfig=CONFIG,
                         integrationType="OPENSEARCH")) == "ValidationException"
    assert code(error_of(logs.put_integration, integrationName="other", resourceConfig=CONFIG,
                         integrationType="OPENSEARCH")) == "LimitExceededException"
    logs.delete_integration(integrationName="dash")
    assert code(error_of(logs.get_integration, integrationName="dash")) == "ResourceNotFoundException"
    assert code(error_of(logs.delete_integration, integrationName="dash")) == "ResourceNotFoundException"
    bad = {"openSearchResourceConfig": dict(CONFIG["openSearchResourceConfig"], retentionDays=31)}
    assert code(error_of(logs.put_integration, integrationName="x", resourceConfig=bad,
                         integrationType="OPENSEARCH")) == "ValidationException"
