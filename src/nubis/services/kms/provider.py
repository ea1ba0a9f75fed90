"""AWS Key Management Service.

Operations follow the API reference: key management here, the
cryptographic operations in ``operations.py``, aliases, grants, imported
key material, custom key stores, multi-Region replicas and last usage in
their own files. Keys are regional (a multi-Region key is one key per Region
with one key id) and named everywhere by key id, key ARN, alias name or
alias ARN. Deletion, automatic rotation and
the expiry of imported material are durable timers on the controllable
clock.

Other services check a key (SQS's, SNS's, S3's ``KmsMasterKeyId``) with
``internal.call("kms", "DescribeKey", {"KeyId": ...}, account=, region=,
principal=)``: any form of key id works, and ``alias/aws/<service>`` makes
the AWS managed key on first use, as KMS does.
"""
from __future__ import annotations

import json
import os
import re
import uuid

from ...auth import policy as iam_policy
from ...auth.credentials import root_arn
from ...protocol.errors import ServiceError
from ..base import Provider, RequestContext
from . import crypto, specs
from . import errors as e
from .aliases import Aliases
from .at_rest import MasterKey
from .custom_key_stores import CustomKeyStores
from .grants import Grants
from .imports import Imports
from .key_usage import KeyUsage
from .multi_region import MultiRegion
from .operations import Operations
from .store import MIGRATIONS, Alias, Key, KmsStore

DAY = 86400.0
DELETE_KIND = "kms:delete"
ROTATE_KIND = "kms:rotate"
EXPIRE_KIND = "kms:expire"
MAX_ON_DEMAND_ROTATIONS = 25
_KEY_ID = re.compile(r"^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$")
# The AWS managed keys KMS makes on first use of ``alias/aws/<service>``.
AWS_MANAGED = frozenset({"acm", "backup", "cloudtrail", "codecommit", "dynamodb", "ebs", "ecr", "elasticfilesystem",
                         "es", "events", "firehose", "glue", "kinesis", "kinesisvideo", "lambda", "logs", "rds",
                         "redshift", "s3", "sagemaker", "secretsmanager", "sns", "sqs", "ssm", "states", "xray"})


def default_policy(account: str, region: str) -> str:
    """The default key policy: the account (its root, and IAM through it) may do everything."""
    return json.dumps({"Version": "2012-10-17", "Id": "key-default-1", "Statement": [{
        "Sid": "Enable IAM User Permissions", "Effect": "Allow",
        "Principal": {"AWS": root_arn(account, region)}, "Action": "kms:*", "Resource": "*"}]}, indent=2)


def check_policy(policy) -> str:
    e.length(policy, "policy", 1, 32768)
    try:
        doc = json.loads(policy)
    except ValueError:
        doc = None
    if not isinstance(doc, dict) or not isinstance(doc.get("Statement"), (list, dict)):
        raise ServiceError("MalformedPolicyDocumentException", "The policy document is malformed.")
    return policy


def check_tags(tags) -> list[dict]:
    out: dict[str, str] = {}
    for tag in tags or []:
        key, value = tag.get("TagKey"), tag.get("TagValue")
        if key is None:
            raise e.constraint(None, "tags.member.tagKey", "Member must not be null")
        if value is None:
            raise e.constraint(None, "tags.member.tagValue", "Member must not be null")
        e.length(key, "tags.member.tagKey", 1, 128)
        e.length(value, "tags.member.tagValue", 0, 256)
        if key.startswith("aws:"):
            raise ServiceError("TagException", "Tags beginning with aws: are reserved")
        out[key] = value
    if len(out) > 50:
        raise ServiceError("TagException", "Too many tags")
    return [{"TagKey": k, "TagValue": v} for k, v in out.items()]


def check_lockout(ctx: RequestContext, policy_text: str, key_arn: str) -> None:
    """The policy lockout safety check: a new key policy must let its author change it again
    (unless BypassPolicyLockoutSafetyCheck)."""
    principal = ctx.principal or root_arn(ctx.account, ctx.region)
    request = iam_policy.Request("kms:PutKeyPolicy", key_arn, principal, ctx.account)
    if iam_policy.evaluate([policy_text], request, resource_policy=True) != iam_policy.ALLOW:
        raise ServiceError("MalformedPolicyDocumentException",
                           "The new key policy will not allow you to update the key policy in the future.")


class KmsProvider(Operations, Aliases, Grants, Imports, CustomKeyStores, MultiRegion, KeyUsage, Provider):
    service = "kms"
    migrations = MIGRATIONS

    def start(self) -> None:
        self.store = KmsStore(self.db, MasterKey(self.runtime.data_dir))
        self.scheduler.on(DELETE_KIND, self._delete_due)
        self.scheduler.on(ROTATE_KIND, self._rotate_due)
        self.scheduler.on(EXPIRE_KIND, self._expire_due)
        self._load_usage()

    async def stop(self) -> None:
        self._flush_usage()

    def reset(self) -> None:
        self.store.load()
        self._load_usage()

    # -- finding keys ------------------------------------------------------------------------------

    def _arn(self, ctx: RequestContext, key_id: str) -> str:
        return f"arn:aws:kms:{ctx.region}:{ctx.account}:key/{key_id}"

    def _key(self, ctx: RequestContext, params: dict, member: str = "KeyId", *, aliases: bool = True) -> Key:
        """The key ``params[member]`` names: a key id, key ARN, alias name or alias ARN."""
        ident = e.required(params, member)
        if not isinstance(ident, str):
            raise e.validation(f"Invalid {member}")
        e.length(ident, member[0].lower() + member[1:], 1, 2048)
        account, region, name = ctx.account, ctx.region, ident
        if ident.startswith("arn:"):
            parts = ident.split(":", 5)
            if len(parts) < 6 or parts[2] != "kms" or not parts[5].startswith(("key/", "alias/")):
                raise e.not_found(f"Invalid arn {ident}")
            region, account, name = parts[3], parts[4], parts[5]
            if name.startswith("key/"):
                name = name[4:]
        if name.startswith("alias/"):
            if not aliases:
                raise e.validation(f"{ident} is an alias, not a key. Specify a key id or key ARN.")
            alias = self.store.alias(account, region, name)
            if alias is None and name.startswith("alias/aws/") and name[10:] in AWS_MANAGED:
                return self._aws_managed(account, region, name)
            if alias is None:
                raise e.not_found(f"Alias 'arn:aws:kms:{region}:{account}:{name}' is not found.")
            name = alias.key_id
        elif not _KEY_ID.match(name):
            raise e.not_found(f"Invalid keyId '{ident}'")
        key = self.store.find(region, name)
        if key is None or key.account != account:
            raise e.not_found(f"Key 'arn:aws:kms:{region}:{account}:key/{name}' does not exist")
        return key

    def _aws_managed(self, account: str, region: str, alias_name: str) -> Key:
        service = alias_name[10:]
        key = self._new_key(account, region, specs.SYMMETRIC, specs.ENCRYPT_DECRYPT, "AWS_KMS", False,
                            f"Default key that protects my {service.upper()} data when no other key is defined",
                            None, [], manager="AWS")
        # AWS managed keys rotate every year.
        key.rotation_period = 365
        key.next_rotation = key.created + 365 * DAY
        self.store.save(key)
        self.scheduler.at(key.next_rotation, ROTATE_KIND, {"key": key.row}, key=key.row)
        self.store.save_alias(Alias(account, region, alias_name, key.id, key.created, key.created))
        return key

    def _managed_by_customer(self, key: Key, operation: str) -> None:
        if key.manager != "CUSTOMER":
            raise ServiceError("NotAuthorizedException",
                               f"{key.arn} is an AWS managed key; {operation} is not allowed on it.")

    def _not_pending_deletion(self, key: Key) -> None:
        if key.state in ("PendingDeletion", "PendingReplicaDeletion"):
            raise e.invalid_state(f"{key.arn} is pending deletion.")

    def _usable(self, key: Key, operation: str, usage: str) -> None:
        """The checks before a cryptographic operation: state, then usage."""
        if key.state != "Enabled":
            if key.state == "Disabled":
                raise e.disabled(key.arn)
            if key.state == "PendingImport":
                raise e.invalid_state(f"{key.arn} is pending import.")
            raise e.invalid_state(f"{key.arn} is pending deletion.")
        if key.usage != usage:
            raise e.invalid_usage(key.arn, key.usage, operation)
        if key.custom_key_store_id is not None and not self._store_connected(key):
            raise e.invalid_state(f"{key.arn} is unavailable: its custom key store is not connected.")

    # -- metadata ------------------------------------------------------------------------------------

    def _metadata(self, key: Key) -> dict:
        md = {"AWSAccountId": key.account, "KeyId": key.id, "Arn": key.arn, "CreationDate": key.created,
              "Enabled": key.enabled, "Description": key.description, "KeyUsage": key.usage, "KeyState": key.state,
              "Origin": key.origin, "KeyManager": key.manager, "CustomerMasterKeySpec": key.spec,
              "KeySpec": key.spec, **specs.algorithms(key.spec, key.usage), "MultiRegion": key.multi_region}
        if key.state == "PendingDeletion":
            md["DeletionDate"] = key.deletion_date
            md["PendingDeletionWindowInDays"] = key.pending_days
        elif key.state == "PendingReplicaDeletion":
            md["PendingDeletionWindowInDays"] = key.pending_days
        if key.origin == "EXTERNAL":
            if key.expiration_model:
                md["ExpirationModel"] = key.expiration_model
            if key.valid_to is not None:
                md["ValidTo"] = key.valid_to
        if key.multi_region:
            md["MultiRegionConfiguration"] = self._multi_region_configuration(key)
        if key.custom_key_store_id is not None:
            self._custom_key_metadata(key, md)
        if key.spec == specs.SYMMETRIC and key.version >= 0:
            current = self._material_id(key, key.version)
            if current:
                md["CurrentKeyMaterialId"] = current
        return md

    def _material_id(self, key: Key, version: int) -> str | None:
        return self.store.material_id(key.id, version)

    # -- keys ----------------------------------------------------------------------------------------------

    def _new_key(self, account: str, region: str, spec: str, usage: str, origin: str, multi_region: bool,
                 description: str, policy: str | None, tags: list, manager: str = "CUSTOMER",
                 custom_key_store_id: str | None = None, xks_key_id: str | None = None) -> Key:
        key_id = "mrk-" + uuid.uuid4().hex if multi_region else str(uuid.uuid4())
        now = self.clock.now()
        key = Key(id=key_id, account=account, region=region, created=now, spec=spec, usage=usage, origin=origin,
                  manager=manager, description=description, multi_region=multi_region,
                  policy=policy or default_policy(account, region), tags=tags,
                  custom_key_store_id=custom_key_store_id, xks_key_id=xks_key_id)
        with self.db.transaction():
            if origin == "EXTERNAL":
                key.state = "PendingImport"
                key.version = -1
            else:
                self.store.add_material(key, 0, os.urandom(32).hex(), crypto.generate(spec), now, None)
            self.store.save(key)
        return key

    def create_key(self, ctx: RequestContext, params: dict) -> dict:
        if params.get("KeySpec") and params.get("CustomerMasterKeySpec"):
            raise e.validation("You cannot specify KeySpec and CustomerMasterKeySpec in the same request. "
                               "CustomerMasterKeySpec is deprecated.")
        spec = params.get("KeySpec") or params.get("CustomerMasterKeySpec") or specs.SYMMETRIC
        usage = params.get("KeyUsage") or specs.ENCRYPT_DECRYPT
        origin = params.get("Origin") or "AWS_KMS"
        e.enum(usage, "keyUsage", specs.ALL_KEY_USAGES)
        e.enum(origin, "origin", ("AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"))
        if spec in specs.UNSUPPORTED_SPECS:
            raise e.unsupported(f"nubis does not support KeySpec {spec}.")
        e.enum(spec, "keySpec", list(specs.USAGES))
        if usage not in specs.USAGES[spec]:
            raise e.validation(f"KeyUsage {usage} is not compatible with KeySpec {spec}")
        multi_region = bool(params.get("MultiRegion"))
        store_id, xks_key_id = self._custom_key_settings(ctx, params, origin, spec, usage, multi_region)
        description = params.get("Description") or ""
        e.length(description, "description", 0, 8192)
        policy = check_policy(params["Policy"]) if params.get("Policy") is not None else None
        if policy is not None and not params.get("BypassPolicyLockoutSafetyCheck"):
            check_lockout(ctx, policy, f"arn:aws:kms:{ctx.region}:{ctx.account}:key/*")
        tags = check_tags(params.get("Tags"))
        key = self._new_key(ctx.account, ctx.region, spec, usage, origin, multi_region, description, policy, tags,
                            custom_key_store_id=store_id, xks_key_id=xks_key_id)
        return {"KeyMetadata": self._metadata(key)}

    def describe_key(self, ctx: RequestContext, params: dict) -> dict:
        return {"KeyMetadata": self._metadata(self._key(ctx, params))}

    def list_keys(self, ctx: RequestContext, params: dict) -> dict:
        keys = sorted(self.store.keys_in(ctx.account, ctx.region), key=lambda k: (k.created, k.id))
        return e.page([{"KeyId": k.id, "KeyArn": k.arn} for k in keys], params, "Keys", 100, 1000)

    def enable_key(self, ctx: RequestContext, params: dict) -> dict:
        key = self._key(ctx, params)
        self._managed_by_customer(key, "EnableKey")
        self._settled(key)
        if key.state == "Disabled":
            key.state = "Enabled"
            self.store.save(key)
        return {}

    def disable_key(self, ctx: RequestContext, params: dict) -> dict:
        key = self._key(ctx, params)
        self._managed_by_customer(key, "DisableKey")
        self._settled(key)
        if key.state == "Enabled":
            key.state = "Disabled"
            self.store.save(key)
        return {}

    def _settled(self, key: Key) -> None:
        self._not_pending_deletion(key)
        if key.state == "PendingImport":
            raise e.invalid_state(f"{key.arn} is pending import.")

    def schedule_key_deletion(self, ctx: RequestContext, params: dict) -> dict:
        key = self._key(ctx, params)
        days = params.get("PendingWindowInDays", 30)
        e.in_range(days, "pendingWindowInDays", 7, 30)
        self._managed_by_customer(key, "ScheduleKeyDeletion")
        self._not_pending_deletion(key)
        key.pending_days = days
        if key.multi_region and self._is_primary(key) and len(self.store.related(key)) > 1:
            # A primary key with replicas waits for them; its waiting period starts when the last one is gone.
            key.state_before_deletion, key.state = key.state, "PendingReplicaDeletion"
            self.store.save(key)
            return {"KeyId": key.arn, "KeyState": key.state, "PendingWindowInDays": days}
        self._start_deletion(key)
        return {"KeyId": key.arn, "DeletionDate": key.deletion_date, "KeyState": key.state,
                "PendingWindowInDays": days}

    def _start_deletion(self, key: Key) -> None:
        key.state = "PendingDeletion"
        key.deletion_date = self.clock.now() + key.pending_days * DAY
        with self.db.transaction():
            self.store.save(key)
            self.scheduler.at(key.deletion_date, DELETE_KIND, {"key": key.row}, key=key.row)

    def cancel_key_deletion(self, ctx: RequestContext, params: dict) -> dict:
        key = self._key(ctx, params)
        if key.state not in ("PendingDeletion", "PendingReplicaDeletion"):
            raise e.invalid_state(f"{key.arn} is not pending deletion.")
        # A key whose deletion is cancelled comes back disabled (or still waiting for its material).
        key.state = "PendingImport" if key.origin == "EXTERNAL" and key.version < 0 else "Disabled"
        key.deletion_date = key.pending_days = None
        with self.db.transaction():
            self.store.save(key)
            self.scheduler.cancel(DELETE_KIND, key.row)
        return {"KeyId": key.arn}

    def _delete_due(self, payload: dict) -> None:
        key = self.store.keys.get(payload.get("key", ""))
        if key is None or key.state != "PendingDeletion" or key.deletion_date > self.clock.now() + 1e-6:
            return
        self.scheduler.cancel(ROTATE_KIND, key.row)
        self.scheduler.cancel(EXPIRE_KIND, key.row)
        self._last_use.pop(key.row, None)
        self._unsaved.pop(key.row, None)
        self.store.delete(key)
        if key.multi_region:
            related = self.store.related(key)
            if len(related) == 1 and related[0].state == "PendingReplicaDeletion":
                self._start_deletion(related[0])

    def update_key_description(self, ctx: RequestContext, params: dict) -> dict:
        key = self._key(ctx, params)
        description = e.required(params, "Description")
        e.length(description, "description", 0, 8192)
        self._managed_by_customer(key, "UpdateKeyDescription")
        self._not_pending_deletion(key)
        key.description = description
        self.store.save(key)
        return {}

    # -- key policies ------------------------------------------------------------------------------------

    def _policy_name(self, params: dict) -> str:
        name = params.get("PolicyName") or "default"
        e.length(name, "policyName", 1, 128)
        if name != "default":
            raise e.not_found("No such policy exists")
        return name

    def get_key_policy(self, ctx: RequestContext, params: dict) -> dict:
        key = self._key(ctx, params)
        name = self._policy_name(params)
        return {"Policy": key.policy, "PolicyName": name}

    def put_key_policy(self, ctx: RequestContext, params: dict) -> dict:
        key = self._key(ctx, params)
        self._policy_name(params)
        policy = check_policy(e.required(params, "Policy"))
        if not params.get("BypassPolicyLockoutSafetyCheck"):
            check_lockout(ctx, policy, key.arn)
        self._managed_by_customer(key, "PutKeyPolicy")
        self._not_pending_deletion(key)
        key.policy = policy
        self.store.save(key)
        return {}

    def list_key_policies(self, ctx: RequestContext, params: dict) -> dict:
        self._key(ctx, params)
        return e.page(["default"], params, "PolicyNames", 100, 1000)

    # -- rotation ---------------------------------------------------------------------------------------------

    def _rotatable(self, key: Key) -> None:
        if key.spec != specs.SYMMETRIC:
            raise e.unsupported(f"{key.arn} key spec is {key.spec} which is not valid for this operation.")
        if key.origin != "AWS_KMS":
            raise e.unsupported(f"{key.arn} origin is {key.origin} which is not valid for this operation.")

    def enable_key_rotation(self, ctx: RequestContext, params: dict) -> dict:
        key = self._key(ctx, params)
        period = params.get("RotationPeriodInDays", 365)
        e.in_range(period, "rotationPeriodInDays", 90, 2560)
        self._rotatable(key)
        self._not_replica(key, "automatic rotation")
        self._managed_by_customer(key, "EnableKeyRotation")
        self._usable_state(key)
        key.rotation_period = period
        key.next_rotation = self.clock.now() + period * DAY
        with self.db.transaction():
            self.store.save(key)
            self._sync_related(key)
            self.scheduler.at(key.next_rotation, ROTATE_KIND, {"key": key.row}, key=key.row)
        return {}

    def disable_key_rotation(self, ctx: RequestContext, params: dict) -> dict:
        key = self._key(ctx, params)
        self._rotatable(key)
        self._not_replica(key, "automatic rotation")
        self._managed_by_customer(key, "DisableKeyRotation")
        self._usable_state(key)
        key.rotation_period = key.next_rotation = None
        with self.db.transaction():
            self.store.save(key)
            self._sync_related(key)
            self.scheduler.cancel(ROTATE_KIND, key.row)
        return {}

    def _usable_state(self, key: Key) -> None:
        if key.state == "Disabled":
            raise e.disabled(key.arn)
        self._settled(key)

    def get_key_rotation_status(self, ctx: RequestContext, params: dict) -> dict:
        key = self._key(ctx, params)
        self._rotatable(key)
        out = {"KeyRotationEnabled": key.rotation_period is not None, "KeyId": key.id}
        if key.rotation_period is not None:
            out["RotationPeriodInDays"] = key.rotation_period
            out["NextRotationDate"] = key.next_rotation
        return out

    def _rotate(self, key: Key, rotation_type: str) -> None:
        version = key.version + 1
        with self.db.transaction():
            self.store.add_material(key, version, os.urandom(32).hex(), crypto.generate(key.spec),
                                    self.clock.now(), rotation_type)
            key.version = version
            self.store.save(key)
            self._sync_related(key)

    def rotate_key_on_demand(self, ctx: RequestContext, params: dict) -> dict:
        key = self._key(ctx, params)
        self._rotatable(key)
        self._not_replica(key, "rotation")
        self._managed_by_customer(key, "RotateKeyOnDemand")
        self._usable_state(key)
        if key.on_demand_rotations >= MAX_ON_DEMAND_ROTATIONS:
            raise ServiceError("LimitExceededException",
                               f"{key.arn} has reached the limit of {MAX_ON_DEMAND_ROTATIONS} on-demand rotations.")
        key.on_demand_rotations += 1
        self._rotate(key, "ON_DEMAND")
        return {"KeyId": key.id}

    def _rotate_due(self, payload: dict) -> None:
        key = self.store.keys.get(payload.get("key", ""))
        if key is None or key.rotation_period is None or key.next_rotation > self.clock.now() + 1e-6:
            return
        # A disabled or doomed key is not rotated; its schedule moves on.
        if key.state == "Enabled":
            self._rotate(key, "AUTOMATIC")
        key.next_rotation += key.rotation_period * DAY
        with self.db.transaction():
            self.store.save(key)
            self._sync_related(key)
            self.scheduler.at(key.next_rotation, ROTATE_KIND, {"key": key.row}, key=key.row)

    def list_key_rotations(self, ctx: RequestContext, params: dict) -> dict:
        key = self._key(ctx, params)
        include = params.get("IncludeKeyMaterial") or "ROTATIONS_ONLY"
        e.enum(include, "includeKeyMaterial", ("ALL_KEY_MATERIAL", "ROTATIONS_ONLY"))
        if key.spec != specs.SYMMETRIC:
            raise e.unsupported(f"{key.arn} key spec is {key.spec} which is not valid for this operation.")
        rows = []
        for m in self.store.materials(key.id):
            if include == "ROTATIONS_ONLY" and m.rotation_type is None:
                continue
            row = {"KeyId": key.id, "KeyMaterialId": m.material_id,
                   "KeyMaterialState": "CURRENT" if m.version == key.version else "NON_CURRENT"}
            if m.rotation_type is not None:
                row["RotationDate"] = m.created
                row["RotationType"] = m.rotation_type
            if key.origin == "EXTERNAL":
                row["ImportState"] = "IMPORTED"
                row["ExpirationModel"] = key.expiration_model or "KEY_MATERIAL_DOES_NOT_EXPIRE"
                if key.valid_to is not None:
                    row["ValidTo"] = key.valid_to
            rows.append(row)
        return e.page(rows, params, "Rotations", 100, 1000)

    # -- tags --------------------------------------------------------------------------------------------------

    def tag_resource(self, ctx: RequestContext, params: dict) -> dict:
        key = self._key(ctx, params)
        tags = check_tags(e.required(params, "Tags"))
        self._not_pending_deletion(key)
        merged = {t["TagKey"]: t["TagValue"] for t in key.tags}
        merged.update((t["TagKey"], t["TagValue"]) for t in tags)
        if len(merged) > 50:
            raise ServiceError("TagException", "Too many tags")
        key.tags = [{"TagKey": k, "TagValue": v} for k, v in merged.items()]
        self.store.save(key)
        return {}

    def untag_resource(self, ctx: RequestContext, params: dict) -> dict:
        key = self._key(ctx, params)
        drop = set(e.required(params, "TagKeys"))
        self._not_pending_deletion(key)
        key.tags = [t for t in key.tags if t["TagKey"] not in drop]
        self.store.save(key)
        return {}

    def list_resource_tags(self, ctx: RequestContext, params: dict) -> dict:
        key = self._key(ctx, params)
        return e.page(list(key.tags), params, "Tags", 50, 50)
