"""Log anomaly detectors, as CreateLogAnomalyDetector and its companions
describe them: stored, listed, updated, paused and deleted.

nubis does not detect anomalies: it trains no model, so a detector stays
INITIALIZING while enabled (PAUSED while not), ListAnomalies answers an
empty list, and UpdateAnomaly finds no anomaly or pattern to suppress.
A mixin of ``LogsProvider``.
"""
from __future__ import annotations

import re
import uuid

from . import validation as v

DETECTOR = "anomaly-detector"
FREQUENCIES = ("ONE_MIN", "FIVE_MIN", "TEN_MIN", "FIFTEEN_MIN", "THIRTY_MIN", "ONE_HOUR")
DETECTOR_ARN = re.compile(r"[\w#+=/:,.@-]*")
KMS_ARN = re.compile(r"^arn:aws[a-z\-]*:kms:[-a-z0-9]*:[0-9]*:key/[-a-z0-9]*$")
SUPPRESSION_TYPES = ("LIMITED", "INFINITE")
SUPPRESSION_UNITS = ("SECONDS", "MINUTES", "HOURS")


class AnomalyDetectors:
    def create_log_anomaly_detector(self, ctx, params: dict) -> dict:
        arns = v.required(params, "logGroupArnList")
        if len(arns) != 1:
            raise v.invalid("An anomaly detector watches exactly one log group: logGroupArnList must have one ARN.")
        g = self._group_from_arn_or_name(ctx, arns[0].removesuffix(":*"))
        detector = {"logGroupArnList": [g.arn]}
        self._detector_settings(params, detector)
        name = params.get("detectorName")
        if name is not None:
            if not name:
                raise v.constraint(name, "detectorName", "Member must have length greater than or equal to 1")
            detector["detectorName"] = name
        kms = params.get("kmsKeyId")
        if kms is not None:
            if len(kms) > 256 or not KMS_ARN.match(kms):
                raise v.constraint(kms, "kmsKeyId", f"Member must satisfy regular expression pattern: "
                                   f"{KMS_ARN.pattern}")
            detector["kmsKeyId"] = kms
        tags = v.tags(params.get("tags"))
        detector_id = str(uuid.uuid4())
        now = self._now()
        arn = f"arn:aws:logs:{ctx.region}:{ctx.account}:{DETECTOR}:{detector_id}"
        detector.update({"anomalyDetectorArn": arn, "anomalyDetectorStatus": "INITIALIZING",
                         "creationTimeStamp": now, "lastModifiedTimeStamp": now, "tags": tags})
        self.store.put_config(ctx.account, ctx.region, DETECTOR, detector_id, detector, now)
        return {"anomalyDetectorArn": arn}

    def get_log_anomaly_detector(self, ctx, params: dict) -> dict:
        _, detector = self._detector(ctx, params)
        return _public(detector)

    def list_log_anomaly_detectors(self, ctx, params: dict) -> dict:
        detectors = self.store.configs(ctx.account, ctx.region, DETECTOR)
        group_arn = params.get("filterLogGroupArn")
        if group_arn is not None:
            g = self._group_from_arn_or_name(ctx, group_arn.removesuffix(":*"))
            detectors = [d for d in detectors if g.arn in d["logGroupArnList"]]
        detectors.sort(key=lambda d: (d["creationTimeStamp"], d["anomalyDetectorArn"]))
        items, token = v.page(detectors, params, 50, 50)
        out: dict = {"anomalyDetectors": [_public(d) for d in items]}
        if token is not None:
            out["nextToken"] = token
        return out

    def update_log_anomaly_detector(self, ctx, params: dict) -> dict:
        key, detector = self._detector(ctx, params)
        enabled = v.required(params, "enabled")
        self._detector_settings(params, detector)
        detector["anomalyDetectorStatus"] = "INITIALIZING" if enabled else "PAUSED"
        detector["lastModifiedTimeStamp"] = self._now()
        self.store.put_config(ctx.account, ctx.region, DETECTOR, key, detector, self._now())
        return {}

    def delete_log_anomaly_detector(self, ctx, params: dict) -> dict:
        key, _ = self._detector(ctx, params)
        self.store.delete_config(ctx.account, ctx.region, DETECTOR, key)
        return {}

    def list_anomalies(self, ctx, params: dict) -> dict:
        if params.get("anomalyDetectorArn") is not None:
            self._detector(ctx, params)
        v.limit(params, 50, 50)
        # No detector ever finds an anomaly in nubis.
        return {"anomalies": []}

    def update_anomaly(self, ctx, params: dict) -> dict:
        self._detector(ctx, params)
        anomaly, pattern = params.get("anomalyId"), params.get("patternId")
        if (anomaly is None) == (pattern is None):
            raise v.invalid("Specify either anomalyId or patternId, but not both.")
        if params.get("suppressionType") is not None and params["suppressionType"] not in SUPPRESSION_TYPES:
            raise v.constraint(params["suppressionType"], "suppressionType",
                               "Member must satisfy enum value set: [LIMITED, INFINITE]")
        if params.get("suppressionType") == "LIMITED":
            period = params.get("suppressionPeriod") or {}
            if period.get("value") is None or period.get("suppressionUnit") not in SUPPRESSION_UNITS:
                raise v.invalid("A LIMITED suppression needs a suppressionPeriod with a value and a unit.")
        raise v.not_found("anomaly" if anomaly is not None else "pattern")

    def _detector(self, ctx, params: dict) -> tuple[str, dict]:
        arn = v.name(params, "anomalyDetectorArn", DETECTOR_ARN, hi=2048)
        parts = arn.split(":")
        if len(parts) != 7 or parts[5] != DETECTOR:
            raise v.invalid(f"Invalid anomalyDetectorArn: {arn}")
        detector = self.store.config(parts[4], parts[3], DETECTOR, parts[6])
        if detector is None or (parts[4], parts[3]) != (ctx.account, ctx.region):
            raise v.not_found("anomaly detector")
        return parts[6], detector

    def _detector_settings(self, params: dict, detector: dict) -> None:
        frequency = params.get("evaluationFrequency")
        if frequency is not None:
            if frequency not in FREQUENCIES:
                raise v.constraint(frequency, "evaluationFrequency",
                                   f"Member must satisfy enum value set: [{', '.join(FREQUENCIES)}]")
            detector["evaluationFrequency"] = frequency
        pattern = params.get("filterPattern")
        if pattern is not None:
            self._pattern(pattern)
            detector["filterPattern"] = pattern
        visibility = params.get("anomalyVisibilityTime")
        if visibility is not None:
            if not 7 <= visibility <= 90:
                raise v.constraint(visibility, "anomalyVisibilityTime",
                                   "Member must have value between 7 and 90")
            detector["anomalyVisibilityTime"] = visibility


def _public(detector: dict) -> dict:
    return {k: val for k, val in detector.items() if k != "tags"}
