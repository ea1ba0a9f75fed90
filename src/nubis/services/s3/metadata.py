"""S3 Metadata configurations of a general purpose bucket: the V2 operations
(CreateBucketMetadataConfiguration, GetBucketMetadataConfiguration,
DeleteBucketMetadataConfiguration, UpdateBucketMetadataInventoryTableConfiguration,
UpdateBucketMetadataJournalTableConfiguration) and the V1 ones
(CreateBucketMetadataTableConfiguration, GetBucketMetadataTableConfiguration,
DeleteBucketMetadataTableConfiguration), per the S3 API reference.

A mixin of ``S3Provider`` on ``BucketConfig``'s storage: a bucket has at most
one configuration, its ``metadata`` document, V1 or V2. The V2 operations read
and delete either; the V1 ones answer a V2 configuration 405 Method Not Allowed.

S3 Tables do not exist in nubis: no table bucket, namespace or Iceberg table is
made and no record is written. A configuration reports its tables as AWS names
them (V2: the AWS managed table bucket ``aws-s3``, namespace
``b_<bucket>``, tables ``journal`` and ``inventory``; V1: the table bucket and
table the request gave, namespace ``aws_s3_metadata``) with status ACTIVE; each
table's ARN carries an id made when the table is configured.
"""
from __future__ import annotations

import re
import uuid

from ...auth import kms_keys
from ...protocol.errors import ServiceError
from .bucket_config import malformed_xml

V1_NAMESPACE = "aws_s3_metadata"
AWS_TABLE_BUCKET = "aws-s3"
MIN_RECORD_DAYS, MAX_RECORD_DAYS = 7, 2147483647
_TABLE_BUCKET_ARN = re.compile(r"^arn:aws[a-z-]*:s3tables:[a-z0-9-]+:\d{12}:bucket/[a-z0-9-]{3,63}$")
_TABLE_NAME = re.compile(r"^[a-z0-9_]{1,255}$")
_KMS_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/.+$")


def not_found() -> ServiceError:
    return ServiceError("MetadataConfigurationNotFound", "The metadata configuration does not exist.", 404)


def already_exists() -> ServiceError:
    return ServiceError("MetadataConfigurationAlreadyExists", "A metadata configuration already exists for this "
                        "bucket.", 409)


def not_allowed() -> ServiceError:
    """A V1 operation on a V2 configuration (or a V2-only update of a V1 one)."""
    return ServiceError("MethodNotAllowed", "The specified method is not allowed against this resource.", 405)


def _invalid(message: str) -> ServiceError:
    return ServiceError("InvalidRequest", message)


class MetadataTables:
    # -- checking a request ---------------------------------------------------------------------

    @staticmethod
    def _record_expiration(value) -> dict:
        if not isinstance(value, dict) or value.get("Expiration") not in ("ENABLED", "DISABLED"):
            raise malformed_xml()
        days = value.get("Days")
        if value["Expiration"] == "DISABLED":
            return {"Expiration": "DISABLED"}  # (a number of days means nothing then)
        if days is None:
            raise _invalid("Days must be specified when journal table record expiration is enabled.")
        if not MIN_RECORD_DAYS <= days <= MAX_RECORD_DAYS:
            raise _invalid(f"Days must be a whole number from {MIN_RECORD_DAYS} to {MAX_RECORD_DAYS}.")
        return {"Expiration": "ENABLED", "Days": days}

    def _table_encryption(self, b, value) -> dict | None:
        if value is None:
            return None
        if not isinstance(value, dict) or value.get("SseAlgorithm") not in ("aws:kms", "AES256"):
            raise malformed_xml()
        key = value.get("KmsKeyArn")
        if value["SseAlgorithm"] == "AES256":
            if key is not None:
                raise _invalid("KmsKeyArn can be specified only with the aws:kms SseAlgorithm.")
            return {"SseAlgorithm": "AES256"}
        if not key:
            raise _invalid("A KmsKeyArn is required with the aws:kms SseAlgorithm.")
        if not _KMS_ARN.match(key):
            raise _invalid("The KmsKeyArn must be the full ARN of a KMS key.")
        # S3 describes the key (kms:DescribeKey is among the permissions this needs).
        kms_keys.check_now(self.runtime, key, kms_keys.S3, account=b.account, region=b.region,
                           principal="s3.amazonaws.com")
        return {"SseAlgorithm": "aws:kms", "KmsKeyArn": key}

    def _inventory(self, b, value, current: dict | None = None) -> dict:
        if not isinstance(value, dict) or value.get("ConfigurationState") not in ("ENABLED", "DISABLED"):
            raise malformed_xml()
        if value["ConfigurationState"] == "DISABLED":
            return {"ConfigurationState": "DISABLED"}
        out = {"ConfigurationState": "ENABLED"}
        encryption = self._table_encryption(b, value.get("EncryptionConfiguration"))
        if encryption:
            out["EncryptionConfiguration"] = encryption
        if current and current.get("ConfigurationState") == "ENABLED":
            out["TableId"] = current["TableId"]  # the same table, still there
        else:
            out["TableId"] = str(uuid.uuid4())
        return out

    def _metadata(self, bucket: str) -> dict:
        doc = self._config(bucket, "metadata", None)
        if doc is None:
            raise not_found()
        return doc

    @staticmethod
    def _table_arn(b, table_bucket: str, table_id: str) -> str:
        return f"arn:aws:s3tables:{b.region}:{b.account}:bucket/{table_bucket}/table/{table_id}"

    # -- V2 -------------------------------------------------------------------------------------

    def create_bucket_metadata_configuration(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        config = self._payload(params, "MetadataConfiguration")
        journal = config.get("JournalTableConfiguration")
        if not isinstance(journal, dict):
            raise malformed_xml()
        doc: dict = {"Version": 2,
                     "Journal": {"RecordExpiration": self._record_expiration(journal.get("RecordExpiration")),
                                 "TableId": str(uuid.uuid4())}}
        encryption = self._table_encryption(b, journal.get("EncryptionConfiguration"))
        if encryption:
            doc["Journal"]["EncryptionConfiguration"] = encryption
        inventory = config.get("InventoryTableConfiguration")
        doc["Inventory"] = self._inventory(b, inventory) if inventory is not None else {"ConfigurationState":
                                                                                         "DISABLED"}
        if self._config(b.name, "metadata", None) is not None:
            raise already_exists()
        self._store_config(b.name, "metadata", doc)
        return {}

    def get_bucket_metadata_configuration(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        doc = self._metadata(b.name)
        if doc["Version"] == 1:
            result = {"DestinationResult": {"TableBucketType": "customer", "TableBucketArn": doc["TableBucketArn"],
                                            "TableNamespace": V1_NAMESPACE},
                      "JournalTableConfigurationResult": {
                          "TableStatus": "ACTIVE", "TableName": doc["TableName"], "TableArn": doc["TableArn"],
                          "RecordExpiration": {"Expiration": "DISABLED"}},
                      "InventoryTableConfigurationResult": {"ConfigurationState": "DISABLED"}}
        else:
            journal, inventory = doc["Journal"], doc["Inventory"]
            result = {"DestinationResult": {"TableBucketType": "aws",
                                            "TableBucketArn": f"arn:aws:s3tables:{b.region}:{b.account}:bucket/"
                                                              f"{AWS_TABLE_BUCKET}",
                                            "TableNamespace": f"b_{b.name}"},
                      "JournalTableConfigurationResult": {
                          "TableStatus": "ACTIVE", "TableName": "journal",
                          "TableArn": self._table_arn(b, AWS_TABLE_BUCKET, journal["TableId"]),
                          "RecordExpiration": journal["RecordExpiration"]}}
            out = {"ConfigurationState": inventory["ConfigurationState"]}
            if inventory["ConfigurationState"] == "ENABLED":
                out.update(TableStatus="ACTIVE", TableName="inventory",
                           TableArn=self._table_arn(b, AWS_TABLE_BUCKET, inventory["TableId"]))
            result["InventoryTableConfigurationResult"] = out
        return {"GetBucketMetadataConfigurationResult": {"MetadataConfigurationResult": result}}

    def delete_bucket_metadata_configuration(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        self._metadata(b.name)
        self._drop_config(b.name, "metadata")
        return {}

    def update_bucket_metadata_inventory_table_configuration(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        update = self._payload(params, "InventoryTableConfiguration")
        doc = self._metadata(b.name)
        if doc["Version"] == 1:
            raise not_allowed()  # a V1 configuration can have no inventory table (user guide)
        inventory = self._inventory(b, update, doc["Inventory"])
        self._store_config(b.name, "metadata", {**doc, "Inventory": inventory})
        return {}

    def update_bucket_metadata_journal_table_configuration(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        update = self._payload(params, "JournalTableConfiguration")
        expiration = self._record_expiration(update.get("RecordExpiration"))
        doc = self._metadata(b.name)
        if doc["Version"] == 1:
            raise not_allowed()  # V1 journal records never expire (user guide)
        self._store_config(b.name, "metadata", {**doc, "Journal": {**doc["Journal"], "RecordExpiration": expiration}})
        return {}

    # -- V1 -------------------------------------------------------------------------------------

    def create_bucket_metadata_table_configuration(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        config = self._payload(params, "MetadataTableConfiguration")
        destination = config.get("S3TablesDestination")
        if not isinstance(destination, dict) or not destination.get("TableBucketArn") \
                or not destination.get("TableName"):
            raise malformed_xml()
        arn, name = destination["TableBucketArn"], destination["TableName"]
        if not _TABLE_BUCKET_ARN.match(arn):
            raise _invalid("The specified table bucket ARN is not valid.")
        if not _TABLE_NAME.match(name):
            raise _invalid("The table name can contain only lowercase letters, numbers and underscores, "
                           "and must be 1 to 255 characters long.")
        if self._config(b.name, "metadata", None) is not None:
            raise already_exists()
        self._store_config(b.name, "metadata", {"Version": 1, "TableBucketArn": arn, "TableName": name,
                                                 "TableArn": f"{arn}/table/{uuid.uuid4()}"})
        return {}

    def get_bucket_metadata_table_configuration(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        doc = self._metadata(b.name)
        if doc["Version"] != 1:
            raise not_allowed()
        return {"GetBucketMetadataTableConfigurationResult": {
            "MetadataTableConfigurationResult": {"S3TablesDestinationResult": {
                "TableBucketArn": doc["TableBucketArn"], "TableName": doc["TableName"], "TableArn": doc["TableArn"],
                "TableNamespace": V1_NAMESPACE}},
            "Status": "ACTIVE"}}

    def delete_bucket_metadata_table_configuration(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        if self._metadata(b.name)["Version"] != 1:
            raise not_allowed()
        self._drop_config(b.name, "metadata")
        return {}
