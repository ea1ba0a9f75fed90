"""S3 Storage Lens: dashboard configurations and Storage Lens groups.

A configuration belongs to the account and keeps the Region it was put in as
its home Region; a Storage Lens group lives in its home Region (S3 user
guide, "Working with S3 Storage Lens groups"). Both are stored as the API
gave them, so Get answers what Put said. nubis does not compute metrics.
"""
from __future__ import annotations

import json
import re

from ...protocol.errors import ServiceError
from ..base import RequestContext
from ..tags import merge_tags

_CONFIG_ID = re.compile(r"^[a-zA-Z0-9\-_.]{1,64}$")
_GROUP_NAME = re.compile(r"^[a-zA-Z0-9\-_]{1,64}$")
_BUCKET_ARN = re.compile(r"^arn:[^:]+:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_REGION = re.compile(r"^[a-z0-9-]{5,30}$")
_ORG_ARN = re.compile(r"^arn:[a-z-]+:organizations::\d{12}:organization/o-[a-z0-9]{10,32}$")
_GROUP_ARN = re.compile(r"^arn:[a-z-]+:s3:([a-z0-9-]+):(\d{12}):storage-lens-group/(.+)$")
_FILTER_CONDITIONS = ("MatchAnyPrefix", "MatchAnySuffix", "MatchAnyTag", "MatchObjectAge", "MatchObjectSize")
_KMS_KEY = re.compile(r"^arn:aws[a-zA-Z0-9-]*:kms:[a-z0-9-]+:\d{12}:key/[a-zA-Z0-9-]+$")
_TAG_TEXT = re.compile(r"^[\w\s_.:/=+\-@]*$")
MAX_GROUPS = 50  # Storage Lens groups per home Region, and attached to one dashboard
MAX_SCOPE = 50  # buckets or Regions in an Include / Exclude container
MAX_ELEMENTS = 10  # prefixes, suffixes or tags in one condition
MAX_OBJECT_BYTES = 50 * 1024 ** 4  # 50 TB
PAGE = 50

MIGRATION = """
CREATE TABLE s3control_storage_lens (
    account TEXT NOT NULL,
    id TEXT NOT NULL,
    region TEXT NOT NULL,
    config TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (account, id)
);
CREATE TABLE s3control_storage_lens_groups (
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    lens_group TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (account, region, name)
);
"""


def err(code: str, message: str) -> ServiceError:
    return ServiceError(code, message, 400)


def malformed() -> ServiceError:
    return ServiceError("MalformedXML", "The XML you provided was not well-formed or did not validate against our "
                        "published schema", 400)


def no_such_configuration() -> ServiceError:
    return ServiceError("NoSuchConfiguration", "The specified configuration does not exist.", 404)


def no_such_group() -> ServiceError:
    return ServiceError("NoSuchStorageLensGroup", "The specified Storage Lens group does not exist.", 404)


def group_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:s3:{region}:{account}:storage-lens-group/{name}"


def parse_group_arn(arn: str) -> tuple[str, str, str] | None:
    """(region, account, name) of a Storage Lens group ARN, or None."""
    m = _GROUP_ARN.match(arn)
    return (m[1], m[2], m[3]) if m else None


def _token(value: str) -> str:
    return value.encode("utf-8").hex()


def _after(token: str | None) -> str:
    if not token:
        return ""
    try:
        return bytes.fromhex(token).decode("utf-8")
    except ValueError:
        raise ServiceError("InvalidArgument", "Invalid continuation token", 400) from None


# -- validation: the codes of the S3 API reference's "List of Amazon S3 Storage Lens error codes" --


def _enabled(container: dict | None, member: str) -> bool:
    return bool(((container or {}).get(member) or {}).get("IsEnabled"))


def _check_scope(scope: dict | None, which: str, org_level: bool) -> None:
    if scope is None:
        return
    buckets, regions = scope.get("Buckets") or [], scope.get("Regions") or []
    if not buckets and not regions:
        raise err(f"Empty{which}Container", f"The {which.lower()} container cannot be empty.")
    if len(buckets) > MAX_SCOPE:
        raise err("TooManyBuckets", f"The buckets container cannot have more than {MAX_SCOPE} buckets.")
    if len(regions) > MAX_SCOPE:
        raise err("TooManyRegions", f"The Regions container cannot have more than {MAX_SCOPE} Regions.")
    if buckets and org_level:
        raise err("InvalidBucketFilter", "Organization-level configurations do not support bucket filters.")
    for arn in buckets:
        if not _BUCKET_ARN.match(arn):
            raise err("InvalidDestination", "The S3 bucket ARN is malformed.")
    for region in regions:
        if not _REGION.match(region):
            raise err("InvalidRegionName", "The Region name is not valid.")


def _check_destination(dest: dict | None) -> None:
    if not dest:
        return
    if dest.get("Format") not in ("CSV", "Parquet") or dest.get("OutputSchemaVersion") != "V_1":
        raise malformed()
    if not re.fullmatch(r"\d{12}", dest.get("AccountId") or ""):
        raise err("InvalidDestination", "The destination account ID is not valid.")
    if not _BUCKET_ARN.match(dest.get("Arn") or ""):
        raise err("InvalidDestination", "The S3 bucket ARN is malformed.")
    _check_encryption(dest.get("Encryption"))


def _check_encryption(encryption: dict | None) -> None:
    if encryption is None:
        return
    given = [k for k in ("SSES3", "SSEKMS") if encryption.get(k) is not None]
    if not given:
        raise err("MissingEncryptionMethod", "The encryption method cannot be blank. Specify either SSE-KMS or "
                  "SSE-S3.")
    if len(given) > 1:
        raise err("InvalidEncryptionMethod", "Only one encryption method can be specified.")
    if given == ["SSEKMS"] and not _KMS_KEY.match((encryption["SSEKMS"] or {}).get("KeyId") or ""):
        raise err("InvalidKMSEncryptionKeyId", "The KMS key ID ARN is not valid.")


def _check_levels(account_level: dict, account: str) -> None:
    bucket_level = account_level["BucketLevel"]
    if _enabled(bucket_level, "ActivityMetrics") and not _enabled(account_level, "ActivityMetrics"):
        raise err("MissingAccountLevelActivityMetrics", "Activity metrics must be enabled at the account level "
                  "when activity metrics are enabled at the bucket level.")
    if _enabled(account_level, "ActivityMetrics") and not _enabled(bucket_level, "ActivityMetrics"):
        raise err("MissingBucketLevelActivityMetrics", "Activity metrics must be enabled at the bucket level "
                  "when activity metrics are enabled at the account level.")
    prefix_level = bucket_level.get("PrefixLevel")
    if prefix_level is not None:
        metrics = prefix_level.get("StorageMetrics")
        if not isinstance(metrics, dict):
            raise err("MissingPrefixLevelStorageMetrics", "Storage metrics at the prefix level are mandatory when "
                      "the prefix level is enabled.")
        if not metrics.get("IsEnabled"):
            raise err("StorageMetricsMustEnabled", "Prefix-level storage metrics must be enabled.")
        criteria = metrics.get("SelectionCriteria") or {}
        depth = criteria.get("MaxDepth")
        if depth is not None and not 1 <= depth <= 10:
            raise err("InvalidMaximumPrefixDepth", "MaxDepth must be within the range [1,10].")
        share = criteria.get("MinStorageBytesPercentage")
        if share is not None and not 0.1 <= share <= 100:
            raise err("InvalidMinimumStorageBytesPercentage", "MinStorageBytesPercentage must be within the range "
                      "[0.1,100.00].")
        if len(criteria.get("Delimiter") or "") > 1:
            raise malformed()
    group_level = account_level.get("StorageLensGroupLevel")
    if group_level is not None:
        criteria = group_level.get("SelectionCriteria")
        if criteria is None:
            return
        given = [k for k in ("Include", "Exclude") if criteria.get(k) is not None]
        if len(given) != 1:
            raise err("InvalidIncludeExcludeElements", "Only one Include or Exclude element is allowed. At least "
                      "one Include or Exclude element must be present.")
        arns = criteria[given[0]]
        if not arns:
            raise err(f"Empty{given[0]}Element", f"You must specify a Storage Lens group with your {given[0]} "
                      "element.")
        if len(arns) > MAX_GROUPS:
            raise err("TooManyStorageLensGroups", f"You can't attach more than {MAX_GROUPS} Storage Lens groups "
                      "to your Storage Lens dashboard.")
        if len(set(arns)) != len(arns):
            raise err("DuplicateStorageLensGroupARN", "There are two or more entries of the same Storage Lens "
                      "group ARN in this configuration.")
        for arn in arns:
            parsed = parse_group_arn(arn)
            if parsed is None or parsed[1] != account or not _GROUP_NAME.match(parsed[2]):
                raise err("InvalidStorageLensGroupARN", "This Storage Lens group ARN isn't valid or only Storage "
                          "Lens groups in your account are allowed.")


def check_configuration(config_id: str, config: dict, arn: str, account: str) -> None:
    if not _CONFIG_ID.match(config_id) or config.get("Id") != config_id:
        raise err("InvalidConfigId", "The configuration ID is not valid.")
    if not isinstance(config.get("IsEnabled"), bool):
        raise malformed()
    account_level = config.get("AccountLevel")
    if not isinstance(account_level, dict) or not isinstance(account_level.get("BucketLevel"), dict):
        raise malformed()
    if config.get("StorageLensArn") not in (None, arn):
        raise err("InvalidStorageLensArn", "The S3 Storage Lens ARN is not required in input.")
    org = config.get("AwsOrg")
    if org is not None and not _ORG_ARN.match(org.get("Arn") or ""):
        raise err("InvalidAWSOrgArn", "There is a malformed AWS Organizations ARN in the configuration.")
    _check_levels(account_level, account)
    if config.get("Include") is not None and config.get("Exclude") is not None:
        raise err("InvalidIncludeExcludeContainers", "You can specify either an Include container or an Exclude "
                  "container in a configuration. You cannot specify both in a configuration.")
    _check_scope(config.get("Include"), "Include", org is not None)
    _check_scope(config.get("Exclude"), "Exclude", org is not None)
    for export in (config.get("DataExport"), config.get("ExpandedPrefixesDataExport")):
        if export:
            _check_destination(export.get("S3BucketDestination"))
            _check_encryption((export.get("StorageLensTableDestination") or {}).get("Encryption"))
    if len(config.get("PrefixDelimiter") or "") > 1:
        raise malformed()


def _check_conditions(node: dict, operator: bool) -> None:
    """The conditions of a filter or of its And / Or."""
    for member, code, limit in (("MatchAnyPrefix", "InvalidPrefix", 1024), ("MatchAnySuffix", "InvalidSuffix", 1024)):
        values = node.get(member)
        if values is None:
            continue
        if not values:
            raise err(f"Invalid{member}", f"The {member} parameter can't be empty.")
        if any(not v or len(v) > limit for v in values):
            raise err(code, f"The maximum length of a {code[7:].lower()} is {limit} characters. The "
                      f"{code[7:].lower()} string can't be empty.")
        if len(set(values)) != len(values):
            raise err("DuplicateElement", "The filter includes duplicate prefixes or suffixes.")
        if len(values) > MAX_ELEMENTS:
            raise err("TooManyElements", f"Only {MAX_ELEMENTS} prefixes, suffixes, or tags are allowed.")
    tags = node.get("MatchAnyTag")
    if tags is not None:
        if not tags:
            raise err("InvalidMatchAnyTag", "The MatchAnyTag parameter can't be empty.")
        for t in tags:
            key, value = t.get("Key") or "", t.get("Value") or ""
            if not 1 <= len(key) <= 128 or len(value) > 256 or not _TAG_TEXT.match(key) or not _TAG_TEXT.match(value):
                raise err("InvalidTag", "The object tag key or value is not valid.")
        keys = [t.get("Key") for t in tags]
        if len(set(keys)) != len(keys):
            raise err("DuplicateElement", "Tags must be unique.")
        if len(tags) > MAX_ELEMENTS:
            raise err("TooManyElements", f"Only {MAX_ELEMENTS} prefixes, suffixes, or tags are allowed.")
    for member, low, high, code, unit in (("MatchObjectAge", "DaysGreaterThan", "DaysLessThan", "InvalidAge", None),
                                          ("MatchObjectSize", "BytesGreaterThan", "BytesLessThan", "InvalidSize",
                                           MAX_OBJECT_BYTES)):
        bounds = node.get(member)
        if bounds is None:
            continue
        more, less = bounds.get(low), bounds.get(high)
        if more is None and less is None:
            raise err(f"Invalid{member}", f"The {member} parameter can't be empty.")
        if any(v is not None and (v < 1 or (unit is not None and v > unit)) for v in (more, less)):
            raise err(code, f"{high} and {low} must be positive numbers.")
        if more is not None and less is not None and more >= less:
            raise err("InvalidNumericCombination", "This object age or object size combination isn't valid.")


def check_group(group: dict) -> None:
    """A group's filter holds one condition at its top, or an And / Or of at least two
    (API reference, StorageLensGroupFilter)."""
    if not isinstance(group.get("Name"), str) or not _GROUP_NAME.match(group["Name"]):
        raise err("InvalidName", "Storage Lens group Name parameter must be between 1 and 64 characters and use "
                  "the ^[a-zA-Z0-9\\-_]+$ pattern.")
    flt = group.get("Filter")
    if not isinstance(flt, dict):
        raise malformed()
    top = [k for k in (*_FILTER_CONDITIONS, "And", "Or") if flt.get(k) is not None]
    if len(top) != 1:
        raise err("InvalidFilter", "A filter must include one of the following elements: And, Or, MatchAnyTag, "
                  "MatchAnyPrefix, MatchAnySuffix, MatchObjectAge, MatchObjectSize.")
    if top[0] in ("And", "Or"):
        node = flt[top[0]] or {}
        if len([k for k in _FILTER_CONDITIONS if node.get(k) is not None]) < 2:
            raise err("InvalidLogicalOperator", "At least two sub elements must be present in the logical "
                      "operators And or Or.")
        _check_conditions(node, True)
    else:
        _check_conditions(flt, False)


# -- the store -------------------------------------------------------------------------------


class StorageLensStore:
    def __init__(self, db):
        self.db = db

    def put_config(self, account: str, config_id: str, region: str, config: dict, tags: list | None) -> None:
        if tags is None:
            self.db.execute(
                "INSERT INTO s3control_storage_lens (account, id, region, config) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (account, id) DO UPDATE SET region = excluded.region, config = excluded.config",
                (account, config_id, region, json.dumps(config)))
        else:
            self.db.execute(
                "INSERT INTO s3control_storage_lens (account, id, region, config, tags) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (account, id) DO UPDATE SET region = excluded.region, config = excluded.config,"
                " tags = excluded.tags", (account, config_id, region, json.dumps(config), json.dumps(tags)))

    def config(self, account: str, config_id: str):
        return self.db.query_one("SELECT * FROM s3control_storage_lens WHERE account = ? AND id = ?",
                                 (account, config_id))

    def configs(self, account: str, after: str, limit: int):
        return self.db.query("SELECT * FROM s3control_storage_lens WHERE account = ? AND id > ? ORDER BY id LIMIT ?",
                             (account, after, limit))

    def delete_config(self, account: str, config_id: str) -> bool:
        return self.db.execute("DELETE FROM s3control_storage_lens WHERE account = ? AND id = ?",
                               (account, config_id)).rowcount > 0

    def set_config_tags(self, account: str, config_id: str, tags: list) -> None:
        self.db.execute("UPDATE s3control_storage_lens SET tags = ? WHERE account = ? AND id = ?",
                        (json.dumps(tags), account, config_id))

    def add_group(self, account: str, region: str, group: dict, tags: list) -> None:
        self.db.execute("INSERT INTO s3control_storage_lens_groups (account, region, name, lens_group, tags)"
                        " VALUES (?, ?, ?, ?, ?)", (account, region, group["Name"], json.dumps(group),
                                                    json.dumps(tags)))

    def group(self, account: str, region: str, name: str):
        return self.db.query_one("SELECT * FROM s3control_storage_lens_groups WHERE account = ? AND region = ?"
                                 " AND name = ?", (account, region, name))

    def groups(self, account: str, region: str, after: str, limit: int):
        return self.db.query("SELECT * FROM s3control_storage_lens_groups WHERE account = ? AND region = ?"
                             " AND name > ? ORDER BY name LIMIT ?", (account, region, after, limit))

    def count_groups(self, account: str, region: str) -> int:
        return self.db.query_one("SELECT COUNT(*) FROM s3control_storage_lens_groups WHERE account = ?"
                                 " AND region = ?", (account, region))[0]

    def update_group(self, account: str, region: str, group: dict) -> None:
        self.db.execute("UPDATE s3control_storage_lens_groups SET lens_group = ? WHERE account = ? AND region = ?"
                        " AND name = ?", (json.dumps(group), account, region, group["Name"]))

    def delete_group(self, account: str, region: str, name: str) -> bool:
        return self.db.execute("DELETE FROM s3control_storage_lens_groups WHERE account = ? AND region = ?"
                               " AND name = ?", (account, region, name)).rowcount > 0

    def set_group_tags(self, account: str, region: str, name: str, tags: list) -> None:
        self.db.execute("UPDATE s3control_storage_lens_groups SET tags = ? WHERE account = ? AND region = ?"
                        " AND name = ?", (json.dumps(tags), account, region, name))


# -- the operations --------------------------------------------------------------------------


class StorageLens:
    """The Storage Lens operations of the S3 Control provider."""

    def _lens_tags(self, tags: list) -> list:
        checked = self._check_tags(tags)
        for t in checked:
            if not 1 <= len(t["Key"]) <= 128 or len(t["Value"]) > 256:
                raise ServiceError("InvalidTag", "The TagKey or TagValue you have provided is too long.", 400)
        return checked

    def _config_row(self, ctx: RequestContext, params: dict):
        row = self.lens.config(self._account(ctx, params), params["ConfigId"])
        if row is None:
            raise no_such_configuration()
        return row

    # -- configurations ------------------------------------------------------------------------

    def put_storage_lens_configuration(self, ctx: RequestContext, params: dict) -> dict:
        account = self._account(ctx, params)
        config = dict(params["StorageLensConfiguration"])
        arn = f"arn:aws:s3:{ctx.region}:{account}:storage-lens/{params['ConfigId']}"
        check_configuration(params["ConfigId"], config, arn, account)
        tags = self._lens_tags(params["Tags"]) if params.get("Tags") is not None else None
        config["StorageLensArn"] = arn
        self.lens.put_config(account, config["Id"], ctx.region, config, tags)
        return {}

    def get_storage_lens_configuration(self, ctx: RequestContext, params: dict) -> dict:
        return {"StorageLensConfiguration": json.loads(self._config_row(ctx, params)["config"])}

    def list_storage_lens_configurations(self, ctx: RequestContext, params: dict) -> dict:
        account = self._account(ctx, params)
        rows = self.lens.configs(account, _after(params.get("NextToken")), PAGE + 1)
        out: dict = {"StorageLensConfigurationList": []}
        for r in rows[:PAGE]:
            config = json.loads(r["config"])
            out["StorageLensConfigurationList"].append({"Id": r["id"], "StorageLensArn": config["StorageLensArn"],
                                                        "HomeRegion": r["region"],
                                                        "IsEnabled": config["IsEnabled"]})
        if len(rows) > PAGE:
            out["NextToken"] = _token(rows[PAGE - 1]["id"])
        return out

    def delete_storage_lens_configuration(self, ctx: RequestContext, params: dict) -> dict:
        if not self.lens.delete_config(self._account(ctx, params), params["ConfigId"]):
            raise no_such_configuration()
        return {}

    def put_storage_lens_configuration_tagging(self, ctx: RequestContext, params: dict) -> dict:
        row = self._config_row(ctx, params)
        self.lens.set_config_tags(row["account"], row["id"], self._lens_tags(params["Tags"]))
        return {}

    def get_storage_lens_configuration_tagging(self, ctx: RequestContext, params: dict) -> dict:
        return {"Tags": json.loads(self._config_row(ctx, params)["tags"])}

    def delete_storage_lens_configuration_tagging(self, ctx: RequestContext, params: dict) -> dict:
        row = self._config_row(ctx, params)
        self.lens.set_config_tags(row["account"], row["id"], [])
        return {}

    # -- groups -------------------------------------------------------------------------------

    def _group_row(self, ctx: RequestContext, params: dict):
        row = self.lens.group(self._account(ctx, params), ctx.region, params["Name"])
        if row is None:
            raise no_such_group()
        return row

    @staticmethod
    def _group_out(row) -> dict:
        group = json.loads(row["lens_group"])
        group["StorageLensGroupArn"] = group_arn(row["region"], row["account"], row["name"])
        return group

    def create_storage_lens_group(self, ctx: RequestContext, params: dict) -> dict:
        account = self._account(ctx, params)
        group = {k: v for k, v in params["StorageLensGroup"].items() if k != "StorageLensGroupArn"}
        check_group(group)
        tags = self._check_tags(params.get("Tags") or [])
        with self.db.transaction():
            if self.lens.group(account, ctx.region, group["Name"]) is not None:
                raise ServiceError("ConfigurationAlreadyExists", "The specified configuration already exists.",
                                   409)
            if self.lens.count_groups(account, ctx.region) >= MAX_GROUPS:
                raise err("TooManyConfigurations", "You have attempted to create more Storage Lens group "
                          f"configurations than the {MAX_GROUPS} allowed.")
            self.lens.add_group(account, ctx.region, group, tags)
        return {}

    def get_storage_lens_group(self, ctx: RequestContext, params: dict) -> dict:
        return {"StorageLensGroup": self._group_out(self._group_row(ctx, params))}

    def update_storage_lens_group(self, ctx: RequestContext, params: dict) -> dict:
        row = self._group_row(ctx, params)
        group = {k: v for k, v in params["StorageLensGroup"].items() if k != "StorageLensGroupArn"}
        if group.get("Name") != row["name"]:
            raise err("MismatchedName", "The name specified in the request doesn't match the Storage Lens group "
                      "name.")
        check_group(group)
        self.lens.update_group(row["account"], row["region"], group)
        return {}

    def delete_storage_lens_group(self, ctx: RequestContext, params: dict) -> dict:
        row = self._group_row(ctx, params)
        self.lens.delete_group(row["account"], row["region"], row["name"])
        return {}

    def list_storage_lens_groups(self, ctx: RequestContext, params: dict) -> dict:
        account = self._account(ctx, params)
        rows = self.lens.groups(account, ctx.region, _after(params.get("NextToken")), PAGE + 1)
        out: dict = {"StorageLensGroupList": [
            {"Name": r["name"], "StorageLensGroupArn": group_arn(r["region"], r["account"], r["name"]),
             "HomeRegion": r["region"]} for r in rows[:PAGE]]}
        if len(rows) > PAGE:
            out["NextToken"] = _token(rows[PAGE - 1]["name"])
        return out

    # -- tags through TagResource, UntagResource and ListTagsForResource ---------------------------

    def group_by_arn(self, account: str, arn: str):
        """The group row ``arn`` names, None when ``arn`` is no Storage Lens group's ARN;
        NoSuchStorageLensGroup when it is one that does not exist."""
        parsed = parse_group_arn(arn)
        if parsed is None:
            return None
        region, arn_account, name = parsed
        if arn_account != account:
            raise ServiceError("AccessDenied", "Access Denied", 403)
        row = self.lens.group(account, region, name)
        if row is None:
            raise no_such_group()
        return row

    def group_tags(self, row) -> list:
        return json.loads(row["tags"])

    def set_group_tags(self, row, tags: list) -> None:
        self.lens.set_group_tags(row["account"], row["region"], row["name"], tags)

    def tag_group(self, row, tags: list) -> None:
        self.set_group_tags(row, self._check_tags(merge_tags(json.loads(row["tags"]), tags)))
