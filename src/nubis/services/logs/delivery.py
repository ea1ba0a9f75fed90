"""Log delivery (vended logs V2): delivery sources, delivery destinations and
the deliveries that pair them, as the API reference's PutDeliverySource,
PutDeliveryDestination and CreateDelivery describe.

These are stored configuration: nubis's services do not yet send vended logs
through a delivery. A mixin of ``LogsProvider`` (``self.store``, ``self._now()``).
"""
from __future__ import annotations

import re
import secrets
import string

from ...protocol.errors import ServiceError
from . import validation as v

SOURCE, DESTINATION, DELIVERY = "delivery-source", "delivery-destination", "delivery"
NAME = re.compile(r"[\w-]*")
LOG_TYPE = re.compile(r"[\w]*")
DELIVERY_ID = re.compile(r"^[0-9A-Za-z]+$")
OUTPUT_FORMATS = ("json", "plain", "w3c", "raw", "parquet")
DESTINATION_TYPES = ("S3", "CWL", "FH", "XRAY")
# The destination type an ARN's service means.
TYPE_OF_SERVICE = {"s3": "S3", "logs": "CWL", "firehose": "FH", "xray": "XRAY"}
ID_ALPHABET = string.ascii_lowercase + string.digits
# The stored configuration resources that take tags (by their ARN's resource type).
TAGGED_KINDS = (SOURCE, DESTINATION, DELIVERY, "anomaly-detector", "scheduled-query", "lookup-table")

# What DescribeConfigurationTemplates knows: (service, log type, resource type) of the
# documented vended-log sources, each deliverable to the listed destination types.
TEMPLATES = [
    ("cloudfront", "ACCESS_LOGS", "distribution", ("S3", "CWL", "FH")),
    ("bedrock", "APPLICATION_LOGS", "knowledge-base", ("S3", "CWL", "FH")),
    ("codewhisperer", "EVENT_LOGS", "profile", ("S3", "CWL", "FH")),
    ("mediapackage", "EGRESS_ACCESS_LOGS", "channel", ("S3", "CWL", "FH")),
    ("mediapackage", "INGRESS_ACCESS_LOGS", "channel", ("S3", "CWL", "FH")),
    ("sso", "ERROR_LOGS", "instance", ("S3", "CWL", "FH")),
    ("workmail", "ACCESS_CONTROL_LOGS", "organization", ("S3", "CWL", "FH")),
    ("workmail", "AUTHENTICATION_LOGS", "organization", ("S3", "CWL", "FH")),
    ("workmail", "WORKMAIL_AVAILABILITY_PROVIDER_LOGS", "organization", ("S3", "CWL", "FH")),
    ("xray", "TRACES", "trace", ("XRAY",)),
]
FORMATS_FOR = {"S3": ["json", "plain", "w3c", "parquet"], "CWL": ["json", "plain"], "FH": ["json", "plain", "raw"],
               "XRAY": ["json"]}


def _conflict(message: str) -> ServiceError:
    return ServiceError("ConflictException", message)


def _missing(message: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message)


def _arn_parts(arn: str, member: str) -> list[str]:
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn" or not parts[2]:
        raise v.validation(f"Invalid {member}: {arn}")
    return parts


class Deliveries:
    def _arn(self, ctx, kind: str, name: str) -> str:
        return f"arn:aws:logs:{ctx.region}:{ctx.account}:{kind}:{name}"

    # -- delivery sources -------------------------------------------------------------------

    def put_delivery_source(self, ctx, params: dict) -> dict:
        name = v.text(params, "name", 1, 60, NAME)
        resource = v.text(params, "resourceArn", 1, 2048)
        log_type = v.text(params, "logType", 1, 255, LOG_TYPE)
        tags = v.tags(params.get("tags"))
        config = dict(params.get("deliverySourceConfiguration") or {})
        service = _arn_parts(resource, "resourceArn")[2]
        existing = self.store.config(ctx.account, ctx.region, SOURCE, name)
        if existing is not None:
            # An update overwrites the source; its log type and its resource's service stay.
            if existing["logType"] != log_type or existing["service"] != service:
                raise _conflict(f"Delivery source {name} already exists with a different logType or service.")
            tags = existing.get("tags") or {}
        source = {"name": name, "arn": self._arn(ctx, SOURCE, name), "resourceArns": [resource],
                  "service": service, "logType": log_type, "tags": tags, "status": "ACTIVE"}
        if config:
            source["deliverySourceConfiguration"] = config
        self.store.put_config(ctx.account, ctx.region, SOURCE, name, source, self._now())
        return {"deliverySource": source}

    def get_delivery_source(self, ctx, params: dict) -> dict:
        return {"deliverySource": self._delivery_source(ctx, v.text(params, "name", 1, 60, NAME))}

    def describe_delivery_sources(self, ctx, params: dict) -> dict:
        items, token = v.page(self.store.configs(ctx.account, ctx.region, SOURCE), params, 50, 50)
        return _with_token({"deliverySources": items}, token)

    def delete_delivery_source(self, ctx, params: dict) -> dict:
        name = v.text(params, "name", 1, 60, NAME)
        self._delivery_source(ctx, name)
        if any(d["deliverySourceName"] == name for d in self.store.configs(ctx.account, ctx.region, DELIVERY)):
            raise _conflict(f"Delivery source {name} has deliveries; delete them first.")
        self.store.delete_config(ctx.account, ctx.region, SOURCE, name)
        return {}

    def _delivery_source(self, ctx, name: str) -> dict:
        source = self.store.config(ctx.account, ctx.region, SOURCE, name)
        if source is None:
            raise _missing(f"Delivery source {name} does not exist.")
        return source

    # -- delivery destinations ----------------------------------------------------------------

    def put_delivery_destination(self, ctx, params: dict) -> dict:
        name = v.text(params, "name", 1, 60, NAME)
        output_format = v.one_of(params, "outputFormat", OUTPUT_FORMATS)
        given_type = v.one_of(params, "deliveryDestinationType", DESTINATION_TYPES)
        tags = v.tags(params.get("tags"))
        config = params.get("deliveryDestinationConfiguration")
        if config is not None:
            target = v.text(config, "destinationResourceArn", 1, 2048)
            kind = TYPE_OF_SERVICE.get(_arn_parts(target, "destinationResourceArn")[2])
            if kind is None or kind == "XRAY":
                raise v.validation(f"Invalid destinationResourceArn: {target}. A delivery destination is a "
                                   "CloudWatch Logs log group, an S3 bucket or a Firehose delivery stream.")
            if given_type is not None and given_type != kind:
                raise v.validation(f"deliveryDestinationType {given_type} does not match the destination "
                                   f"resource {target}.")
        elif given_type == "XRAY":
            kind = "XRAY"
        else:
            raise v.validation("deliveryDestinationConfiguration is required unless deliveryDestinationType is "
                               "XRAY.")
        if output_format is not None and output_format not in FORMATS_FOR[kind]:
            raise v.validation(f"outputFormat {output_format} is not supported for a {kind} delivery destination.")
        existing = self.store.config(ctx.account, ctx.region, DESTINATION, name)
        if existing is not None:
            if existing["deliveryDestinationType"] != kind:
                raise _conflict(f"Delivery destination {name} already exists with type "
                                f"{existing['deliveryDestinationType']}.")
            tags = existing.get("tags") or {}
        destination = {"name": name, "arn": self._arn(ctx, DESTINATION, name), "deliveryDestinationType": kind,
                       "tags": tags}
        if output_format is not None:
            destination["outputFormat"] = output_format
        if config is not None:
            destination["deliveryDestinationConfiguration"] = {"destinationResourceArn": target}
        if existing is not None and "policy" in existing:
            destination["policy"] = existing["policy"]
        self.store.put_config(ctx.account, ctx.region, DESTINATION, name, destination, self._now())
        return {"deliveryDestination": _public(destination)}

    def get_delivery_destination(self, ctx, params: dict) -> dict:
        return {"deliveryDestination": _public(self._delivery_destination(ctx, ctx.account, ctx.region,
                                                                          v.text(params, "name", 1, 60, NAME)))}

    def describe_delivery_destinations(self, ctx, params: dict) -> dict:
        items, token = v.page(self.store.configs(ctx.account, ctx.region, DESTINATION), params, 50, 50)
        return _with_token({"deliveryDestinations": [_public(d) for d in items]}, token)

    def delete_delivery_destination(self, ctx, params: dict) -> dict:
        name = v.text(params, "name", 1, 60, NAME)
        destination = self._delivery_destination(ctx, ctx.account, ctx.region, name)
        if any(d["deliveryDestinationArn"] == destination["arn"] for d in self._all_deliveries()):
            raise _conflict(f"Delivery destination {name} has deliveries; delete them first.")
        self.store.delete_config(ctx.account, ctx.region, DESTINATION, name)
        return {}

    def _delivery_destination(self, ctx, account: str, region: str, name: str) -> dict:
        destination = self.store.config(account, region, DESTINATION, name)
        if destination is None:
            raise _missing(f"Delivery destination {name} does not exist.")
        return destination

    def _all_deliveries(self) -> list[dict]:
        # A delivery may sit in another account than its destination (cross-account delivery).
        return self.store.configs_of_kind(DELIVERY)

    # -- delivery destination policies --------------------------------------------------------------

    def put_delivery_destination_policy(self, ctx, params: dict) -> dict:
        name = v.text(params, "deliveryDestinationName", 1, 60, NAME)
        policy = v.text(params, "deliveryDestinationPolicy", 1, 51200)
        v.policy_document(policy, "deliveryDestinationPolicy")
        destination = self._delivery_destination(ctx, ctx.account, ctx.region, name)
        destination["policy"] = policy
        self.store.put_config(ctx.account, ctx.region, DESTINATION, name, destination, self._now())
        return {"policy": {"deliveryDestinationPolicy": policy}}

    def get_delivery_destination_policy(self, ctx, params: dict) -> dict:
        name = v.text(params, "deliveryDestinationName", 1, 60, NAME)
        destination = self._delivery_destination(ctx, ctx.account, ctx.region, name)
        if "policy" not in destination:
            return {}
        return {"policy": {"deliveryDestinationPolicy": destination["policy"]}}

    def delete_delivery_destination_policy(self, ctx, params: dict) -> dict:
        name = v.text(params, "deliveryDestinationName", 1, 60, NAME)
        destination = self._delivery_destination(ctx, ctx.account, ctx.region, name)
        if destination.pop("policy", None) is None:
            raise _missing(f"Delivery destination {name} has no policy.")
        self.store.put_config(ctx.account, ctx.region, DESTINATION, name, destination, self._now())
        return {}

    # -- deliveries -----------------------------------------------------------------------------------

    def create_delivery(self, ctx, params: dict) -> dict:
        source_name = v.text(params, "deliverySourceName", 1, 60, NAME)
        destination_arn = v.text(params, "deliveryDestinationArn", 1, 2048)
        tags = v.tags(params.get("tags"))
        source = self._delivery_source(ctx, source_name)
        parts = destination_arn.split(":", 5)
        if len(parts) != 6 or parts[2] != "logs" or not parts[5].startswith(DESTINATION + ":"):
            raise v.validation(f"Invalid deliveryDestinationArn: {destination_arn}")
        destination = self._delivery_destination(ctx, parts[4], parts[3], parts[5].split(":", 1)[1])
        if parts[4] != ctx.account and "policy" not in destination:
            raise ServiceError("AccessDeniedException", f"The delivery destination {destination_arn} has no "
                               "policy that allows this account to deliver to it.")
        for d in self.store.configs(ctx.account, ctx.region, DELIVERY):
            if d["deliverySourceName"] == source["name"] and d["deliveryDestinationArn"] == destination_arn:
                raise _conflict(f"A delivery from {source_name} to {destination_arn} already exists.")
        kind = destination["deliveryDestinationType"]
        delivery_id = "".join(secrets.choice(ID_ALPHABET) for _ in range(16))
        delivery = {"id": delivery_id, "arn": self._arn(ctx, DELIVERY, delivery_id),
                    "deliverySourceName": source_name, "deliveryDestinationArn": destination_arn,
                    "deliveryDestinationType": kind, "tags": tags}
        delivery.update(self._delivery_settings(params, kind, {}))
        self.store.put_config(ctx.account, ctx.region, DELIVERY, delivery_id, delivery, self._now())
        return {"delivery": delivery}

    def get_delivery(self, ctx, params: dict) -> dict:
        return {"delivery": self._delivery(ctx, v.text(params, "id", 1, 64, DELIVERY_ID))}

    def describe_deliveries(self, ctx, params: dict) -> dict:
        items, token = v.page(self.store.configs(ctx.account, ctx.region, DELIVERY), params, 50, 50)
        return _with_token({"deliveries": items}, token)

    def delete_delivery(self, ctx, params: dict) -> dict:
        delivery_id = v.text(params, "id", 1, 64, DELIVERY_ID)
        if not self.store.delete_config(ctx.account, ctx.region, DELIVERY, delivery_id):
            raise _missing(f"Delivery {delivery_id} does not exist.")
        return {}

    def update_delivery_configuration(self, ctx, params: dict) -> dict:
        delivery = self._delivery(ctx, v.text(params, "id", 1, 64, DELIVERY_ID))
        delivery.update(self._delivery_settings(params, delivery["deliveryDestinationType"], delivery))
        self.store.put_config(ctx.account, ctx.region, DELIVERY, delivery["id"], delivery, self._now())
        return {}

    def _delivery(self, ctx, delivery_id: str) -> dict:
        delivery = self.store.config(ctx.account, ctx.region, DELIVERY, delivery_id)
        if delivery is None:
            raise _missing(f"Delivery {delivery_id} does not exist.")
        return delivery

    @staticmethod
    def _delivery_settings(params: dict, kind: str, current: dict) -> dict:
        """recordFields, fieldDelimiter and s3DeliveryConfiguration, checked; those not given keep ``current``."""
        out = {}
        fields = params.get("recordFields")
        if fields is not None:
            if len(fields) > 128 or any(not isinstance(f, str) or not 1 <= len(f) <= 64 for f in fields):
                raise v.bad_value(fields, "recordFields", "Member must have at most 128 members of length 1 to 64")
            out["recordFields"] = list(fields)
        delimiter = params.get("fieldDelimiter")
        if delimiter is not None:
            if len(delimiter) > 5:
                raise v.bad_value(delimiter, "fieldDelimiter", "Member must have length less than or equal to 5")
            out["fieldDelimiter"] = delimiter
        s3 = params.get("s3DeliveryConfiguration")
        if s3 is not None:
            if kind != "S3":
                raise v.validation("s3DeliveryConfiguration is only valid for a delivery to an S3 destination.")
            merged = dict(current.get("s3DeliveryConfiguration") or {})
            if s3.get("suffixPath") is not None:
                merged["suffixPath"] = v.text(s3, "suffixPath", 1, 256)
            if s3.get("enableHiveCompatiblePath") is not None:
                merged["enableHiveCompatiblePath"] = bool(s3["enableHiveCompatiblePath"])
            out["s3DeliveryConfiguration"] = merged
        elif kind == "S3" and "s3DeliveryConfiguration" not in current:
            out["s3DeliveryConfiguration"] = {"enableHiveCompatiblePath": False}
        return out

    # -- configuration templates ---------------------------------------------------------------------

    def describe_configuration_templates(self, ctx, params: dict) -> dict:
        service = v.text(params, "service", 1, 255, optional=True)
        log_types = params.get("logTypes")
        resource_types = params.get("resourceTypes")
        kinds = params.get("deliveryDestinationTypes")
        for kind in kinds or ():
            if kind not in DESTINATION_TYPES:
                raise v.bad_value(kind, "deliveryDestinationTypes",
                                  f"Member must satisfy enum value set: [{', '.join(DESTINATION_TYPES)}]")
        templates = []
        for svc, log_type, resource_type, destinations in TEMPLATES:
            if (service is not None and svc != service) or (log_types and log_type not in log_types) or \
                    (resource_types and resource_type not in resource_types):
                continue
            for kind in destinations:
                if kinds and kind not in kinds:
                    continue
                templates.append({"service": svc, "logType": log_type, "resourceType": resource_type,
                                  "deliveryDestinationType": kind, "allowedOutputFormats": FORMATS_FOR[kind],
                                  "defaultDeliveryConfigValues": {}})
        items, token = v.page(templates, params, 50, 50)
        return _with_token({"configurationTemplates": items}, token)

    # -- tags (TagResource and friends reach these through the provider) -------------------------

    def _config_tags(self, arn: str):
        """(tags, save) of the delivery source, destination, delivery, anomaly detector, scheduled query or
        lookup table an ARN names, or None for another kind of ARN."""
        parts = arn.split(":")
        if len(parts) != 7 or parts[2] != "logs" or parts[5] not in TAGGED_KINDS:
            return None
        region, account, kind, key = parts[3], parts[4], parts[5], parts[6]
        doc = self.store.config(account, region, kind, key)
        if doc is None:
            raise _missing(f"The specified resource {arn} does not exist.")
        tags = doc.setdefault("tags", {})
        return tags, lambda: self.store.put_config(account, region, kind, key, doc, self._now())


def _public(destination: dict) -> dict:
    """A delivery destination as the API gives it (its policy is read with GetDeliveryDestinationPolicy)."""
    return {k: val for k, val in destination.items() if k != "policy"}


def _with_token(out: dict, token: str | None) -> dict:
    if token is not None:
        out["nextToken"] = token
    return out
