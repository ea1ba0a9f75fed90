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
MAX_GROUPS = 50  # per home Region (S3 user guide, Storage Lens groups quotas)
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


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidRequest", message, 400)


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


# -- validation ------------------------------------------------------------------------------


def _check_scope(scope: dict | None, what: str) -> None:
    if not scope:
        return
    for arn in scope.get("Buckets") or []:
        if not _BUCKET_ARN.match(arn):
            raise invalid(f"{what}: {arn} is not a valid bucket ARN.")
    for region in scope.get("Regions") or []:
        if not _REGION.match(region):
            raise invalid(f"{what}: {region} is not a valid Region.")


def _check_destination(dest: dict | None) -> None:
    if not dest:
        return
    if dest.get("Format") not in ("CSV", "Parquet"):
        raise invalid("The data export Format must be CSV or Parquet.")
    if dest.get("OutputSchemaVersion") != "V_1":
        raise invalid("The data export OutputSchemaVersion must be V_1.")
    if not re.fullmatch(r"\d{12}", dest.get("AccountId") or ""):
        raise invalid("The data export AccountId must be a 12-digit account ID.")
    if not _BUCKET_ARN.match(dest.get("Arn") or ""):
        raise invalid("The data export destination must be a bucket ARN.")
    encryption = dest.get("Encryption") or {}
    if "SSES3" in encryption and "SSEKMS" in encryption:
        raise invalid("Specify either SSE-S3 or SSE-KMS encryption for the data export, not both.")
    if "SSEKMS" in encryption and not (encryption["SSEKMS"] or {}).get("KeyId"):
        raise invalid("SSE-KMS encryption for the data export needs a KeyId.")


def _check_prefix_level(level: dict | None) -> None:
    criteria = ((((level or {}).get("BucketLevel") or {}).get("PrefixLevel") or {}).get("StorageMetrics")
                or {}).get("SelectionCriteria") or {}
    depth = criteria.get("MaxDepth")
    if depth is not None and not 1 <= depth <= 10:
        raise invalid("MaxDepth must be between 1 and 10.")
    share = criteria.get("MinStorageBytesPercentage")
    if share is not None and not 0.1 <= share <= 100:
        raise invalid("MinStorageBytesPercentage must be between 0.1 and 100.")
    if len(criteria.get("Delimiter") or "") > 1:
        raise invalid("The prefix delimiter must be a single character.")


def check_configuration(config_id: str, config: dict) -> None:
    if not _CONFIG_ID.match(config_id):
        raise invalid("The configuration ID is not valid.")
    if config.get("Id") != config_id:
        raise invalid("The configuration ID in the request body does not match the one in the URI.")
    if not isinstance(config.get("IsEnabled"), bool):
        raise ServiceError("MalformedXML", "The XML you provided was not well-formed or did not validate "
                           "against our published schema", 400)
    account_level = config.get("AccountLevel")
    if not isinstance(account_level, dict) or not isinstance(account_level.get("BucketLevel"), dict):
        raise ServiceError("MalformedXML", "The XML you provided was not well-formed or did not validate "
                           "against our published schema", 400)
    _check_prefix_level(account_level)
    for arn in ((account_level.get("StorageLensGroupLevel") or {}).get("SelectionCriteria") or {}).get(
            "Include", []) + ((account_level.get("StorageLensGroupLevel") or {}).get("SelectionCriteria")
                              or {}).get("Exclude", []):
        if parse_group_arn(arn) is None:
            raise invalid(f"{arn} is not a Storage Lens group ARN.")
    if config.get("Include") and config.get("Exclude"):
        raise invalid("A configuration may have Include or Exclude, not both.")
    _check_scope(config.get("Include"), "Include")
    _check_scope(config.get("Exclude"), "Exclude")
    for export in (config.get("DataExport"), config.get("ExpandedPrefixesDataExport")):
        if export:
            _check_destination(export.get("S3BucketDestination"))
    org = config.get("AwsOrg")
    if org and not _ORG_ARN.match(org.get("Arn") or ""):
        raise invalid("The AwsOrg ARN is not a valid organization ARN.")
    if len(config.get("PrefixDelimiter") or "") > 1:
        raise invalid("The prefix delimiter must be a single character.")


def _check_condition_values(node: dict) -> None:
    age = node.get("MatchObjectAge")
    if age is not None:
        more, less = age.get("DaysGreaterThan"), age.get("DaysLessThan")
        if more is None and less is None:
            raise invalid("MatchObjectAge needs DaysGreaterThan or DaysLessThan.")
        if any(v is not None and v < 1 for v in (more, less)):
            raise invalid("Object age values must be positive.")
        if more is not None and less is not None and more >= less:
            raise invalid("DaysGreaterThan must be less than DaysLessThan.")
    size = node.get("MatchObjectSize")
    if size is not None:
        more, less = size.get("BytesGreaterThan"), size.get("BytesLessThan")
        if more is None and less is None:
            raise invalid("MatchObjectSize needs BytesGreaterThan or BytesLessThan.")
        if any(v is not None and v < 1 for v in (more, less)):
            raise invalid("Object size values must be positive.")
        if more is not None and less is not None and more >= less:
            raise invalid("BytesGreaterThan must be less than BytesLessThan.")
    tags = node.get("MatchAnyTag")
    if tags is not None:
        keys = [t.get("Key") for t in tags]
        if len(set(keys)) != len(keys):
            raise invalid("MatchAnyTag cannot name the same tag key twice.")


def check_group(group: dict) -> None:
    """A group's filter holds one condition at its top, or an And / Or of several
    (API reference, StorageLensGroupFilter)."""
    if not isinstance(group.get("Name"), str) or not _GROUP_NAME.match(group["Name"]):
        raise invalid("The Storage Lens group name is not valid.")
    flt = group.get("Filter")
    if not isinstance(flt, dict):
        raise ServiceError("MalformedXML", "The XML you provided was not well-formed or did not validate "
                           "against our published schema", 400)
    top = [k for k in (*_FILTER_CONDITIONS, "And", "Or") if flt.get(k) is not None]
    if len(top) != 1:
        raise invalid("The filter must have exactly one condition or logical operator at its top level.")
    node = flt[top[0]]
    if top[0] in ("And", "Or"):
        inner = [k for k in _FILTER_CONDITIONS if (node or {}).get(k) is not None]
        if len(inner) < 2:
            raise invalid(f"The {top[0]} operator needs at least two conditions.")
        _check_condition_values(node)
    else:
        _check_condition_values(flt)
    for node in (flt, flt.get("And") or {}, flt.get("Or") or {}):
        for k in ("MatchAnyPrefix", "MatchAnySuffix", "MatchAnyTag"):
            if node.get(k) is not None and not node[k]:
                raise invalid(f"{k} must not be empty.")


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
        check_configuration(params["ConfigId"], config)
        tags = self._lens_tags(params["Tags"]) if params.get("Tags") is not None else None
        config["StorageLensArn"] = f"arn:aws:s3:{ctx.region}:{account}:storage-lens/{config['Id']}"
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
                raise ServiceError("StorageLensGroupAlreadyExists",
                                   "A Storage Lens group with this name already exists.", 409)
            if self.lens.count_groups(account, ctx.region) >= MAX_GROUPS:
                raise ServiceError("TooManyStorageLensGroups",
                                   f"You can have at most {MAX_GROUPS} Storage Lens groups in a Region.", 400)
            self.lens.add_group(account, ctx.region, group, tags)
        return {}

    def get_storage_lens_group(self, ctx: RequestContext, params: dict) -> dict:
        return {"StorageLensGroup": self._group_out(self._group_row(ctx, params))}

    def update_storage_lens_group(self, ctx: RequestContext, params: dict) -> dict:
        row = self._group_row(ctx, params)
        group = {k: v for k, v in params["StorageLensGroup"].items() if k != "StorageLensGroupArn"}
        if group.get("Name") != row["name"]:
            raise invalid("The Storage Lens group name in the request body does not match the one in the URI.")
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
