"""Deliveries, policies, transformers, anomaly detectors, scheduled queries and lookup
tables survive a kill -9 of a real nubis process."""
import json

DATA_PROTECTION = json.dumps({"Statement": [
    {"DataIdentifier": ["arn:aws:dataprotection::aws:data-identifier/EmailAddress"],
     "Operation": {"Audit": {"FindingsDestination": {}}}},
    {"DataIdentifier": ["arn:aws:dataprotection::aws:data-identifier/EmailAddress"],
     "Operation": {"Deidentify": {"MaskConfig": {}}}}]})


def test_configuration_survives_kill9(server_process, tmp_path):
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data)
    logs = server.client("logs")
    logs.create_log_group(logGroupName="/app")
    logs.put_delivery_source(name="src", resourceArn="arn:aws:cloudfront::000000000000:distribution/E1",
                             logType="ACCESS_LOGS")
    dest = logs.put_delivery_destination(name="dst", deliveryDestinationConfiguration={
        "destinationResourceArn": "arn:aws:s3:::bucket"})["deliveryDestination"]
    logs.put_delivery_destination_policy(deliveryDestinationName="dst", deliveryDestinationPolicy="{}")
    delivery = logs.create_delivery(deliverySourceName="src", deliveryDestinationArn=dest["arn"])["delivery"]
    logs.put_account_policy(policyName="p", policyType="DATA_PROTECTION_POLICY", policyDocument=DATA_PROTECTION)
    logs.put_data_protection_policy(logGroupIdentifier="/app", policyDocument=DATA_PROTECTION)
    logs.put_index_policy(logGroupIdentifier="/app", policyDocument=json.dumps({"Fields": ["id"]}))
    logs.put_transformer(logGroupIdentifier="/app", transformerConfig=[{"parseJSON": {}}])
    detector = logs.create_log_anomaly_detector(logGroupArnList=[
        "arn:aws:logs:us-east-1:000000000000:log-group:/app"])["anomalyDetectorArn"]
    logs.create_scheduled_query(name="q", queryLanguage="CWLI", queryString="stats count(*)",
                                logGroupIdentifiers=["/app"], scheduleExpression="rate(1 hour)",
                                executionRoleArn="arn:aws:iam::000000000000:role/r")
    table = logs.create_lookup_table(lookupTableName="t", tableBody="a,b\n1,2\n")["lookupTableArn"]
    server.kill9()

    server = server_process("--data-dir", data)
    logs = server.client("logs")
    assert logs.get_delivery_source(name="src")["deliverySource"]["logType"] == "ACCESS_LOGS"
    assert logs.get_delivery_destination_policy(deliveryDestinationName="dst")["policy"][
        "deliveryDestinationPolicy"] == "{}"
    assert logs.get_delivery(id=delivery["id"])["delivery"]["deliverySourceName"] == "src"
    [p] = logs.describe_account_policies(policyType="DATA_PROTECTION_POLICY")["accountPolicies"]
    assert p["policyName"] == "p"
    assert logs.get_data_protection_policy(logGroupIdentifier="/app")["policyDocument"] == DATA_PROTECTION
    [i] = logs.describe_index_policies(logGroupIdentifiers=["/app"])["indexPolicies"]
    assert json.loads(i["policyDocument"]) == {"Fields": ["id"]}
    assert logs.get_transformer(logGroupIdentifier="/app")["transformerConfig"] == [{"parseJSON": {}}]
    assert logs.get_log_anomaly_detector(anomalyDetectorArn=detector)["logGroupArnList"] == [
        "arn:aws:logs:us-east-1:000000000000:log-group:/app"]
    assert logs.get_scheduled_query(identifier="q")["scheduleExpression"] == "rate(1 hour)"
    assert logs.get_lookup_table(lookupTableArn=table)["tableBody"] == "a,b\n1,2\n"
