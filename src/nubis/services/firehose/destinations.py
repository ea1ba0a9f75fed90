"""Destination configurations: which one a request names, their rules and
defaults, how an update merges into them, and how DescribeDeliveryStream
shows them. Every destination is stored; S3 (plain and extended) and HTTP
endpoints are delivered to."""
from __future__ import annotations

import copy
import re

from . import prefixes
from .prefixes import invalid

# CreateDeliveryStream's member -> (the kind stored, UpdateDestination's member, the description's member)
KINDS = {
    "S3DestinationConfiguration": ("ExtendedS3", "S3DestinationUpdate", "S3DestinationDescription"),
    "ExtendedS3DestinationConfiguration": ("ExtendedS3", "ExtendedS3DestinationUpdate",
                                           "ExtendedS3DestinationDescription"),
    "RedshiftDestinationConfiguration": ("Redshift", "RedshiftDestinationUpdate", "RedshiftDestinationDescription"),
    "ElasticsearchDestinationConfiguration": ("Elasticsearch", "ElasticsearchDestinationUpdate",
                                              "ElasticsearchDestinationDescription"),
    "AmazonopensearchserviceDestinationConfiguration": (
        "Amazonopensearchservice", "AmazonopensearchserviceDestinationUpdate",
        "AmazonopensearchserviceDestinationDescription"),
    "AmazonOpenSearchServerlessDestinationConfiguration": (
        "AmazonOpenSearchServerless", "AmazonOpenSearchServerlessDestinationUpdate",
        "AmazonOpenSearchServerlessDestinationDescription"),
    "SplunkDestinationConfiguration": ("Splunk", "SplunkDestinationUpdate", "SplunkDestinationDescription"),
    "HttpEndpointDestinationConfiguration": ("HttpEndpoint", "HttpEndpointDestinationUpdate",
                                             "HttpEndpointDestinationDescription"),
    "SnowflakeDestinationConfiguration": ("Snowflake", "SnowflakeDestinationUpdate",
                                          "SnowflakeDestinationDescription"),
    "IcebergDestinationConfiguration": ("Iceberg", "IcebergDestinationUpdate", "IcebergDestinationDescription"),
}
DESCRIPTION = {kind: desc for kind, _, desc in KINDS.values()}
DESCRIPTION["ExtendedS3"] = "ExtendedS3DestinationDescription"
UPDATES = {update: kind for kind, update, _ in KINDS.values()}
# Nested members whose names differ between configuration, update and description.
_RENAMES_UPDATE = {"S3Update": "S3Configuration", "S3BackupUpdate": "S3BackupConfiguration"}
_RENAMES_DESCRIBE = {"S3Configuration": "S3DestinationDescription", "S3BackupConfiguration": "S3BackupDescription"}
S3_DEFAULT_BUFFER = {"SizeInMBs": 5, "IntervalInSeconds": 300}
PARTITIONED_BUFFER = {"SizeInMBs": 128, "IntervalInSeconds": 300}
MiB = 1024 * 1024
FILE_EXTENSION = re.compile(r"\.[0-9a-z!\-_.*'()]+")


def named(params: dict, suffix: str = "Configuration") -> list[str]:
    return [k for k in params if k.endswith("Destination" + suffix) and params[k] is not None]


def bucket_of(arn: str) -> str:
    if not arn or not arn.startswith("arn:") or ":s3:::" not in arn or not arn.split(":::", 1)[1]:
        raise invalid(f"BucketARN {arn} is not a valid S3 bucket ARN.")
    return arn.split(":::", 1)[1]


def dynamic(cfg: dict) -> bool:
    return bool((cfg.get("DynamicPartitioningConfiguration") or {}).get("Enabled"))


def converting(cfg: dict) -> bool:
    conv = cfg.get("DataFormatConversionConfiguration")
    return bool(conv) and conv.get("Enabled", True) is not False


def buffering(kind: str, cfg: dict) -> dict:
    hints = dict(PARTITIONED_BUFFER if kind == "ExtendedS3" and (dynamic(cfg) or converting(cfg))
                 else S3_DEFAULT_BUFFER)
    hints.update({k: v for k, v in (cfg.get("BufferingHints") or {}).items() if v is not None})
    return hints


def check_s3(cfg: dict, where: str, extended: bool) -> None:
    for member in ("RoleARN", "BucketARN"):
        if not cfg.get(member):
            raise invalid(f"{where}.{member} must not be null or empty.")
    bucket_of(cfg["BucketARN"])
    is_dynamic = extended and dynamic(cfg)
    prefixes.check(cfg.get("Prefix"), cfg.get("ErrorOutputPrefix"), is_dynamic)
    hints = buffering("ExtendedS3" if extended else "S3", cfg)
    if extended and (is_dynamic or converting(cfg)) and hints["SizeInMBs"] < 64:
        raise invalid("BufferingHints.SizeInMBs must be at least 64 when Dynamic Partitioning or Data Format "
                      "Conversion is enabled.")
    if extended and converting(cfg) and cfg.get("CompressionFormat", "UNCOMPRESSED") != "UNCOMPRESSED":
        raise invalid("CompressionFormat must be set to UNCOMPRESSED when DataFormatConversion is enabled.")
    if cfg.get("CompressionFormat") in ("ZIP", "Snappy") and extended and is_dynamic:
        raise invalid(f"CompressionFormat {cfg['CompressionFormat']} is not supported with Dynamic Partitioning.")
    ext = cfg.get("FileExtension")
    if ext and not FILE_EXTENSION.fullmatch(ext):
        raise invalid(f"FileExtension {ext} is not valid: it must start with a period and contain only "
                      "0-9, a-z and !-_.*'() after it.")
    tz = cfg.get("CustomTimeZone")
    if tz:
        prefixes.zone(tz)
    backup = cfg.get("S3BackupConfiguration")
    if extended and cfg.get("S3BackupMode") == "Enabled" and not backup:
        raise invalid("S3BackupConfiguration must be specified when S3BackupMode is Enabled.")
    if backup:
        check_s3(backup, "S3BackupConfiguration", False)


def check(kind: str, cfg: dict) -> None:
    if kind == "ExtendedS3":
        check_s3(cfg, "ExtendedS3DestinationConfiguration", True)
    elif kind == "HttpEndpoint":
        url = (cfg.get("EndpointConfiguration") or {}).get("Url", "")
        if not url.startswith(("https://", "http://")):
            raise invalid("HttpEndpointDestinationConfiguration.EndpointConfiguration.Url must be an HTTPS URL.")
        if not cfg.get("S3Configuration"):
            raise invalid("HttpEndpointDestinationConfiguration.S3Configuration must not be null.")
        check_s3(cfg["S3Configuration"], "HttpEndpointDestinationConfiguration.S3Configuration", False)
    elif cfg.get("S3Configuration"):
        check_s3(cfg["S3Configuration"], f"{kind}DestinationConfiguration.S3Configuration", False)


def merge(current: dict, update: dict) -> dict:
    """An update's members over the stored configuration; nested structures merge."""
    out = copy.deepcopy(current)
    for key, value in update.items():
        key = _RENAMES_UPDATE.get(key, key)
        if isinstance(value, dict) and isinstance(out.get(key), dict) and key not in (
                "ProcessingConfiguration", "DataFormatConversionConfiguration"):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _s3_description(cfg: dict, extended: bool) -> dict:
    out = {"RoleARN": cfg.get("RoleARN"), "BucketARN": cfg.get("BucketARN"),
           "BufferingHints": buffering("ExtendedS3" if extended else "S3", cfg),
           "CompressionFormat": cfg.get("CompressionFormat", "UNCOMPRESSED"),
           "EncryptionConfiguration": cfg.get("EncryptionConfiguration") or {"NoEncryptionConfig": "NoEncryption"},
           "CloudWatchLoggingOptions": cfg.get("CloudWatchLoggingOptions") or {"Enabled": False}}
    for key in ("Prefix", "ErrorOutputPrefix"):
        if cfg.get(key) is not None:
            out[key] = cfg[key]
    return out


def describe(kind: str, cfg: dict) -> dict:
    """The ``Destinations`` entry of DescribeDeliveryStream."""
    out = {"DestinationId": "destinationId-000000000001"}
    if kind == "ExtendedS3":
        ext = {**cfg, **_s3_description(cfg, True)}
        ext["S3BackupMode"] = cfg.get("S3BackupMode") or "Disabled"
        if cfg.get("S3BackupConfiguration"):
            ext["S3BackupDescription"] = _s3_description(cfg["S3BackupConfiguration"], False)
        out["ExtendedS3DestinationDescription"] = ext
        out["S3DestinationDescription"] = _s3_description(cfg, False)
        return out
    desc = {_RENAMES_DESCRIBE.get(k, k): v for k, v in cfg.items()}
    if cfg.get("S3Configuration"):
        desc["S3DestinationDescription"] = _s3_description(cfg["S3Configuration"], False)
    if kind == "HttpEndpoint":
        desc["BufferingHints"] = buffering(kind, cfg)
        desc.setdefault("RequestConfiguration", {"ContentEncoding": "NONE"})
        desc.setdefault("RetryOptions", {"DurationInSeconds": 300})
        desc.setdefault("S3BackupMode", "FailedDataOnly")
        desc.setdefault("CloudWatchLoggingOptions", {"Enabled": False})
    out[DESCRIPTION[kind]] = desc
    return out
