"""Log anomaly detectors: stored, listed, paused; nubis finds no anomalies."""
import pytest

from .conftest import code, error_of

GROUP_ARN = "arn:aws:logs:us-east-1:000000000000:log-group:/app"


@pytest.fixture
def detector(logs):
    logs.create_log_group(logGroupName="/app")
    return logs.create_log_anomaly_detector(logGroupArnList=[GROUP_ARN], detectorName="app",
                                            evaluationFrequency="FIVE_MIN", filterPattern="ERROR",
                                            anomalyVisibilityTime=14, tags={"team": "a"})["anomalyDetectorArn"]


def test_detector_lifecycle(logs, detector, now_ms):
    assert detector.startswith("arn:aws:logs:us-east-1:000000000000:anomaly-detector:")
    got = logs.get_log_anomaly_detector(anomalyDetectorArn=detector)
    assert (got["detectorName"], got["logGroupArnList"], got["evaluationFrequency"], got["filterPattern"],
            got["anomalyVisibilityTime"]) == ("app", [GROUP_ARN], "FIVE_MIN", "ERROR", 14)
    assert got["anomalyDetectorStatus"] == "INITIALIZING" and got["creationTimeStamp"] == now_ms()
    logs.update_log_anomaly_detector(anomalyDetectorArn=detector, enabled=False, evaluationFrequency="ONE_HOUR")
    got = logs.get_log_anomaly_detector(anomalyDetectorArn=detector)
    assert (got["anomalyDetectorStatus"], got["evaluationFrequency"], got["filterPattern"]) == (
        "PAUSED", "ONE_HOUR", "ERROR")
    logs.update_log_anomaly_detector(anomalyDetectorArn=detector, enabled=True)
    assert logs.get_log_anomaly_detector(anomalyDetectorArn=detector)["anomalyDetectorStatus"] == "INITIALIZING"
    [d] = logs.list_log_anomaly_detectors(filterLogGroupArn=GROUP_ARN)["anomalyDetectors"]
    assert d["anomalyDetectorArn"] == detector
    logs.create_log_group(logGroupName="/other")
    assert logs.list_log_anomaly_detectors(filterLogGroupArn=GROUP_ARN.replace("/app", "/other"))[
        "anomalyDetectors"] == []
    assert logs.list_tags_for_resource(resourceArn=detector)["tags"] == {"team": "a"}
    logs.delete_log_anomaly_detector(anomalyDetectorArn=detector)
    assert code(error_of(logs.get_log_anomaly_detector, anomalyDetectorArn=detector)) == "ResourceNotFoundException"
    assert code(error_of(logs.delete_log_anomaly_detector, anomalyDetectorArn=detector)) == \
        "ResourceNotFoundException"


def test_detector_input_is_checked(logs):
    logs.create_log_group(logGroupName="/app")
    assert code(error_of(logs.create_log_anomaly_detector, logGroupArnList=[GROUP_ARN, GROUP_ARN])) == \
        "InvalidParameterException"
    assert code(error_of(logs.create_log_anomaly_detector, logGroupArnList=[GROUP_ARN + "x"])) == \
        "ResourceNotFoundException"
    assert code(error_of(logs.create_log_anomaly_detector, logGroupArnList=[GROUP_ARN],
                         evaluationFrequency="TWO_MIN")) == "InvalidParameterException"
    assert code(error_of(logs.create_log_anomaly_detector, logGroupArnList=[GROUP_ARN],
                         kmsKeyId="not-a-key")) == "InvalidParameterException"
    assert code(error_of(logs.create_log_anomaly_detector, logGroupArnList=[GROUP_ARN],
                         filterPattern='{ $.a = ')) == "InvalidParameterException"


def test_no_anomalies(logs, detector):
    assert logs.list_anomalies()["anomalies"] == []
    assert logs.list_anomalies(anomalyDetectorArn=detector, suppressionState="SUPPRESSED")["anomalies"] == []
    e = error_of(logs.update_anomaly, anomalyDetectorArn=detector, anomalyId="a" * 36, suppressionType="INFINITE")
    assert code(e) == "ResourceNotFoundException"
    e = error_of(logs.update_anomaly, anomalyDetectorArn=detector, anomalyId="a" * 36, patternId="b" * 32)
    assert code(e) == "InvalidParameterException"
    missing = detector[:-4] + "0000"
    assert code(error_of(logs.list_anomalies, anomalyDetectorArn=missing)) == "ResourceNotFoundException"
