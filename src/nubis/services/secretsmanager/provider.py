"""AWS Secrets Manager: operations in the API reference's order.

Secrets and their versions live in ``store.py``; values are sealed by
``vault.py`` (KMS when there is one); rotation through a Lambda function is
``rotation.py`` with its schedules in ``schedule.py``; GetRandomPassword is
``passwords.py``.
"""
from __future__ import annotations

import base64
import json
import re
import secrets
import string
import uuid

from ...protocol.errors import ServiceError
from ..base import Provider, RequestContext
from .passwords import random_password
from .rotation import CURRENT, PREVIOUS, ROTATE_KIND, Rotation
from .store import MIGRATIONS, Secret, Store, Version
from .vault import SealError, Vault

PURGE_KIND = "secretsmanager:purge"
DAY = 86400
NAME = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,512}$")
ARN = re.compile(r"^arn:aws[\w-]*:secretsmanager:([a-z0-9-]+):(\d{12}):secret:(.+)$")
STAGE = re.compile(r"^.{1,256}$", re.S)
SUFFIX_CHARS = string.ascii_letters + string.digits
FILTER_KEYS = ("description", "name", "tag-key", "tag-value", "primary-region", "owning-service", "all")
MAX_VERSIONS = 100
MAX_TAGS = 50

NOT_FOUND = "Secrets Manager can't find the specified secret."
MARKED = "You can't perform this operation on the secret because it was marked for deletion."


def invalid_parameter(message: str) -> ServiceError:
    return ServiceError("InvalidParameterException", message)


def invalid_request(message: str) -> ServiceError:
    return ServiceError("InvalidRequestException", message)


def not_found(message: str = NOT_FOUND) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message)


def _length(name: str, value, lo: int, hi: int) -> None:
    if value is not None and not lo <= len(value) <= hi:
        bound = f"greater than or equal to {lo}" if len(value) < lo else f"less than or equal to {hi}"
        raise ServiceError("ValidationException",
                           f"1 validation error detected: Value at '{name}' failed to satisfy constraint: "
                           f"Member must have length {bound}")


def _day(t: float) -> float:
    """LastAccessedDate is kept to the day (midnight UTC)."""
    return t - t % DAY


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(str(offset).encode()).decode()


def _offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        return int(base64.urlsafe_b64decode(token.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        raise invalid_parameter("Invalid NextToken.") from None


def _page_size(params: dict, default: int = 100) -> int:
    size = params.get("MaxResults")
    if size is None:
        return default
    if not 1 <= size <= 100:
        raise ServiceError("ValidationException", "1 validation error detected: Value at 'maxResults' failed to "
                           "satisfy constraint: Member must have value between 1 and 100")
    return size


class SecretsManagerProvider(Provider):
    service = "secretsmanager"
    migrations = MIGRATIONS

    def start(self) -> None:
        self.store = Store(self.db)
        self.vault = Vault(self.runtime, "secretsmanager.amazonaws.com", "alias/aws/secretsmanager")
        self.rotation = Rotation(self)
        self.scheduler.on(PURGE_KIND, self._purge)
        self.scheduler.on(ROTATE_KIND, self.rotation.on_timer)

    # -- finding secrets ------------------------------------------------------------------

    def find(self, account: str, region: str, secret_id: str | None) -> Secret | None:
        """By name, full ARN, or partial ARN (the ARN without its random suffix)."""
        if not secret_id:
            raise invalid_parameter("You must provide a value for the SecretId parameter.")
        m = ARN.match(secret_id)
        if m:
            if m.group(1) != region or m.group(2) != account:
                return None
            return self.store.by_arn(secret_id) or self.store.by_arn_prefix(account, region, secret_id)
        return self.store.by_name(account, region, secret_id)

    def secret(self, ctx: RequestContext, secret_id: str | None, deleted_ok: bool = False) -> Secret:
        s = self.find(ctx.account, ctx.region, secret_id)
        if s is None:
            raise not_found()
        if s.deleted is not None and not deleted_ok:
            raise invalid_request(MARKED)
        return s

    # -- values -----------------------------------------------------------------------------

    @staticmethod
    def _value_of(params: dict, required: bool) -> tuple[str, bytes] | None:
        text, blob = params.get("SecretString"), params.get("SecretBinary")
        if text is not None and blob is not None:
            raise invalid_parameter("You can't specify both a binary secret value and a string secret value in the "
                                    "same secret.")
        if text is not None:
            _length("secretString", text, 1, 65536)
            return "string", text.encode()
        if blob is not None:
            _length("secretBinary", blob, 1, 65536)
            return "binary", bytes(blob)
        if required:
            raise invalid_parameter("You must provide either SecretString or SecretBinary.")
        return None

    async def seal(self, secret: Secret, plaintext: bytes) -> tuple[bytes, str | None]:
        try:
            return await self.vault.seal(secret.account, secret.region, secret.kms_key_id, plaintext,
                                         {"SecretARN": secret.arn})
        except SealError as e:
            raise ServiceError("EncryptionFailure", "Secrets Manager can't encrypt the protected secret text using "
                               f"the provided KMS key. {e.error.message}".strip()) from None

    async def plaintext(self, secret: Secret, v: Version) -> bytes:
        try:
            return await self.vault.open(secret.account, secret.region, v.sealed_with, v.value,
                                         {"SecretARN": secret.arn})
        except SealError as e:
            raise ServiceError("DecryptionFailure", "Secrets Manager can't decrypt the protected secret text using "
                               f"the provided KMS key. {e.error.message}".strip()) from None

    async def _same_value(self, secret: Secret, v: Version, value: tuple[str, bytes] | None) -> bool:
        if value is None or v.kind is None:
            return value is None and v.kind is None
        return v.kind == value[0] and await self.plaintext(secret, v) == value[1]

    async def _value_fields(self, secret: Secret, v: Version) -> dict:
        plain = await self.plaintext(secret, v)
        return {"SecretString": plain.decode()} if v.kind == "string" else {"SecretBinary": plain}

    # -- versions and staging labels ----------------------------------------------------------

    def stage(self, secret: Secret, version_id: str, stages: list[str], versions: list[Version] | None = None) -> None:
        """Attach ``stages`` to ``version_id`` (moving each from the version that had it); a version that loses
        AWSCURRENT gets AWSPREVIOUS."""
        versions = versions if versions is not None else self.store.versions(secret.arn)
        by_id = {v.version_id: v for v in versions}
        target = by_id[version_id]
        changed = {target.version_id}
        if CURRENT in stages and CURRENT not in target.stages:
            old = next((v for v in versions if CURRENT in v.stages), None)
            if old is not None:
                for v in versions:
                    if PREVIOUS in v.stages:
                        v.stages.remove(PREVIOUS)
                        changed.add(v.version_id)
                old.stages.append(PREVIOUS)
        for label in stages:
            for v in versions:
                if v is not target and label in v.stages:
                    v.stages.remove(label)
                    changed.add(v.version_id)
            if label not in target.stages:
                target.stages.append(label)
        if PREVIOUS in target.stages and CURRENT in target.stages:
            target.stages.remove(PREVIOUS)
        for vid in changed:
            self.store.set_stages(secret.arn, vid, by_id[vid].stages)
        # Versions without a label are deprecated; beyond the quota the oldest go.
        unlabelled = [v for v in versions if not v.stages]
        for v in unlabelled[:max(0, len(versions) - MAX_VERSIONS)]:
            self.store.drop_version(secret.arn, v.version_id)

    async def add_version(self, secret: Secret, version_id: str, value: tuple[str, bytes] | None,
                          stages: list[str], sealed: tuple[bytes, str | None] | None = None) -> Version:
        now = self.clock.now()
        if sealed is not None:
            stored, sealed_with = sealed
        else:
            stored, sealed_with = (None, None) if value is None else await self.seal(secret, value[1])
        existing = self.store.version(secret.arn, version_id)
        v = Version(secret.arn, version_id, existing.stages if existing else [], None if value is None else value[0],
                    stored, sealed_with, existing.created if existing else now, seq=existing.seq if existing else 0)
        self.store.save_version(v)
        self.stage(secret, version_id, stages)
        secret.last_changed = now
        self.store.save(secret)
        return v

    def _version_token(self, params: dict) -> str:
        token = params.get("ClientRequestToken")
        _length("clientRequestToken", token, 32, 64)
        return token or str(uuid.uuid4())

    # -- describing ---------------------------------------------------------------------------

    def _stages_map(self, secret: Secret, versions: list[Version] | None = None) -> dict:
        versions = versions if versions is not None else self.store.versions(secret.arn)
        return {v.version_id: list(v.stages) for v in versions if v.stages}

    def describe(self, secret: Secret, listing: bool = False) -> dict:
        out = {"ARN": secret.arn, "Name": secret.name, "Description": secret.description,
               "KmsKeyId": secret.kms_key_id, "LastChangedDate": secret.last_changed,
               "LastAccessedDate": secret.last_accessed, "LastRotatedDate": secret.last_rotated,
               "DeletedDate": secret.deleted, "Tags": secret.tags or None, "CreatedDate": secret.created}
        rot = secret.rotation
        if rot:
            out["RotationEnabled"] = bool(rot.get("enabled"))
            out["RotationLambdaARN"] = rot.get("lambda")
            out["RotationRules"] = rot.get("rules")
            if rot.get("enabled") and rot.get("next") is not None:
                out["NextRotationDate"] = rot["next"]
        else:
            out["RotationEnabled"] = False
        out["SecretVersionsToStages" if listing else "VersionIdsToStages"] = self._stages_map(secret) or None
        if secret.replicas:
            out["PrimaryRegion"] = secret.region
            out["ReplicationStatus"] = secret.replicas
        elif secret.primary_region:
            out["PrimaryRegion"] = secret.primary_region
        return {k: v for k, v in out.items() if v is not None}

    @staticmethod
    def _ident(secret: Secret, **more) -> dict:
        return {"ARN": secret.arn, "Name": secret.name, **{k: v for k, v in more.items() if v is not None}}

    # -- operations -------------------------------------------------------------------------------

    async def batch_get_secret_value(self, ctx, params):
        ids, filters = params.get("SecretIdList"), params.get("Filters")
        if ids and filters:
            raise invalid_parameter("Either 'SecretIdList' or 'Filters' must be provided, but not both.")
        if not ids and not filters:
            raise invalid_parameter("Either 'SecretIdList' or 'Filters' must be provided.")
        values, errors, token = [], [], None
        if ids:
            if len(ids) > 20:
                raise invalid_parameter("SecretIdList can contain at most 20 secret IDs.")
            if params.get("MaxResults") is not None:
                raise invalid_parameter("'MaxResults' is only supported with 'Filters'.")
            targets = []
            for secret_id in ids:
                try:
                    targets.append(self.secret(ctx, secret_id))
                except ServiceError as e:
                    errors.append({"SecretId": secret_id, "ErrorCode": e.code, "Message": e.message})
        else:
            matched = [s for s in self._filtered(ctx, filters, False)]
            start, size = _offset(params.get("NextToken")), _page_size(params, 20)
            targets = matched[start:start + size]
            if start + size < len(matched):
                token = _token(start + size)
        for s in targets:
            try:
                values.append(await self._get_value(s, None, CURRENT))
            except ServiceError as e:
                errors.append({"SecretId": s.arn, "ErrorCode": e.code, "Message": e.message})
        return {"SecretValues": values, "Errors": errors, "NextToken": token}

    async def cancel_rotate_secret(self, ctx, params):
        s = self.secret(ctx, params.get("SecretId"))
        if not s.rotation.get("enabled") and not self.rotation.pending_version(s):
            raise invalid_request("Secrets Manager can't cancel rotation because rotation is not enabled.")
        s.rotation["enabled"] = False
        s.rotation.pop("next", None)
        self.store.save(s)
        self.scheduler.cancel(ROTATE_KIND, s.arn)
        pending = self.rotation.pending_version(s)
        return self._ident(s, VersionId=pending.version_id if pending else None)

    async def create_secret(self, ctx, params):
        name = params.get("Name") or ""
        if not NAME.match(name):
            raise invalid_parameter("Invalid name. Must be a valid name containing alphanumeric characters, or any of "
                                    "the following: -/_+=.@!")
        _length("description", params.get("Description"), 0, 2048)
        value = self._value_of(params, required=False)
        version_id = self._version_token(params)
        existing = self.store.by_name(ctx.account, ctx.region, name)
        if existing is not None:
            if existing.deleted is not None:
                raise invalid_request("You can't create this secret because a secret with this name is already "
                                      "scheduled for deletion.")
            retried = self.store.version(existing.arn, version_id)
            if retried is not None and await self._same_value(existing, retried, value):
                return self._ident(existing, VersionId=version_id if value else None,
                                   ReplicationStatus=existing.replicas or None)
            raise ServiceError("ResourceExistsException",
                               f"The operation failed because the secret {name} already exists.")
        tags = self._checked_tags(params.get("Tags") or [])
        replicas = self._replicas(ctx, params.get("AddReplicaRegions") or [], [])
        now = self.clock.now()
        suffix = "".join(secrets.choice(SUFFIX_CHARS) for _ in range(6))
        arn = f"arn:aws:secretsmanager:{ctx.region}:{ctx.account}:secret:{name}-{suffix}"
        s = Secret(arn, ctx.account, ctx.region, name, params.get("Description"), params.get("KmsKeyId"), tags,
                   replicas=replicas, created=now, last_changed=now)
        # Sealed first: a key KMS refuses leaves no secret behind.
        sealed = None if value is None else await self.seal(s, value[1])
        if self.store.by_name(ctx.account, ctx.region, name) is not None:
            raise ServiceError("ResourceExistsException",
                               f"The operation failed because the secret {name} already exists.")
        self.store.save(s)
        if value is not None:
            await self.add_version(s, version_id, value, [CURRENT], sealed)
        return self._ident(s, VersionId=version_id if value else None, ReplicationStatus=replicas or None)

    async def delete_resource_policy(self, ctx, params):
        s = self.secret(ctx, params.get("SecretId"))
        s.policy = None
        self.store.save(s)
        return self._ident(s)

    async def delete_secret(self, ctx, params):
        s = self.secret(ctx, params.get("SecretId"), deleted_ok=True)
        window, force = params.get("RecoveryWindowInDays"), params.get("ForceDeleteWithoutRecovery")
        if window is not None and force:
            raise invalid_parameter("You can't use ForceDeleteWithoutRecovery in conjunction with "
                                    "RecoveryWindowInDays.")
        if window is not None and not 7 <= window <= 30:
            raise invalid_parameter("The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).")
        if s.replicas:
            raise invalid_request(f"You can't delete secret {s.name} because it's replicated to other Regions. "
                                  "Remove the replicas with RemoveRegionsFromReplication first.")
        now = self.clock.now()
        if force:
            self._remove(s)
            return self._ident(s, DeletionDate=now)
        if s.deleted is not None:
            raise invalid_request(MARKED)
        s.deleted = now
        self.store.save(s)
        when = now + (window or 30) * DAY
        self.scheduler.at(when, PURGE_KIND, {"arn": s.arn}, key=s.arn)
        return self._ident(s, DeletionDate=when)

    def _remove(self, s: Secret) -> None:
        self.store.delete(s.arn)
        self.scheduler.cancel(PURGE_KIND, s.arn)
        self.scheduler.cancel(ROTATE_KIND, s.arn)

    def _purge(self, payload: dict) -> None:
        s = self.store.by_arn(payload["arn"])
        if s is not None and s.deleted is not None:
            self._remove(s)

    async def describe_secret(self, ctx, params):
        return self.describe(self.secret(ctx, params.get("SecretId"), deleted_ok=True))

    async def get_random_password(self, ctx, params):
        return {"RandomPassword": random_password(params)}

    async def get_resource_policy(self, ctx, params):
        s = self.secret(ctx, params.get("SecretId"))
        return self._ident(s, ResourcePolicy=s.policy)

    async def get_secret_value(self, ctx, params):
        s = self.secret(ctx, params.get("SecretId"))
        return await self._get_value(s, params.get("VersionId"), params.get("VersionStage"))

    async def _get_value(self, s: Secret, version_id: str | None, stage: str | None) -> dict:
        if version_id is None and stage is None:
            stage = CURRENT
        if version_id is not None:
            v = self.store.version(s.arn, version_id)
            if v is None or (stage is not None and stage not in v.stages):
                what = f"VersionId: {version_id}" if v is None or stage is None else f"staging label: {stage}"
                raise not_found(f"Secrets Manager can't find the specified secret value for {what}")
        else:
            v = next((v for v in self.store.versions(s.arn) if stage in v.stages), None)
            if v is None:
                raise not_found(f"Secrets Manager can't find the specified secret value for staging label: {stage}")
        if v.kind is None:
            what = f"VersionId: {v.version_id}" if version_id else f"staging label: {stage}"
            raise not_found(f"Secrets Manager can't find the specified secret value for {what}")
        out = {"ARN": s.arn, "Name": s.name, "VersionId": v.version_id, **await self._value_fields(s, v),
               "VersionStages": list(v.stages), "CreatedDate": v.created}
        day = _day(self.clock.now())
        if s.last_accessed != day or v.last_accessed != day:
            self.store.touch(s.arn, v.version_id, day)
        return out

    async def list_secret_version_ids(self, ctx, params):
        s = self.secret(ctx, params.get("SecretId"), deleted_ok=True)
        versions = [v for v in self.store.versions(s.arn) if v.stages or params.get("IncludeDeprecated")]
        start, size = _offset(params.get("NextToken")), _page_size(params)
        page = versions[start:start + size]
        items = [{"VersionId": v.version_id, "VersionStages": list(v.stages) or None,
                  "LastAccessedDate": v.last_accessed, "CreatedDate": v.created,
                  "KmsKeyIds": [s.kms_key_id or "DefaultEncryptionKey"]} for v in page]
        items = [{k: x for k, x in item.items() if x is not None} for item in items]
        return self._ident(s, Versions=items, NextToken=_token(start + size) if start + size < len(versions) else None)

    async def list_secrets(self, ctx, params):
        matched = self._filtered(ctx, params.get("Filters") or [], bool(params.get("IncludePlannedDeletion")))
        if params.get("SortOrder") == "desc":
            matched.reverse()
        start, size = _offset(params.get("NextToken")), _page_size(params)
        page = matched[start:start + size]
        return {"SecretList": [self.describe(s, listing=True) for s in page],
                "NextToken": _token(start + size) if start + size < len(matched) else None}

    def _filtered(self, ctx, filters: list, include_deleted: bool) -> list[Secret]:
        checks = []
        for f in filters:
            key, values = f.get("Key"), f.get("Values") or []
            if key not in FILTER_KEYS:
                raise invalid_parameter(f"Invalid filter key: {key}. Valid keys are {', '.join(FILTER_KEYS)}.")
            if not values:
                raise invalid_parameter(f"Filter {key} must have at least one value.")
            checks.append((key, values))
        out = []
        for s in self.store.secrets(ctx.account, ctx.region):
            if s.deleted is not None and not include_deleted:
                continue
            if all(self._matches(s, key, values) for key, values in checks):
                out.append(s)
        return out

    @staticmethod
    def _matches(s: Secret, key: str, values: list[str]) -> bool:
        """A filter's values are alternatives; a value that starts with '!' excludes what it would match."""
        if key == "name":
            fields = [s.name]
        elif key == "description":
            fields = [(s.description or "").lower()]
        elif key == "tag-key":
            fields = [t["Key"] for t in s.tags]
        elif key == "tag-value":
            fields = [t.get("Value", "") for t in s.tags]
        elif key == "primary-region":
            fields = [s.primary_region or s.region] if (s.replicas or s.primary_region) else []
        elif key == "owning-service":
            fields = []
        else:  # all: words of every attribute, not case-sensitive
            words = [s.name, s.description or "", *(t["Key"] for t in s.tags), *(t.get("Value", "") for t in s.tags)]
            fields = [w.lower() for text in words for w in re.split(r"[\s/_+=.@:-]+", text) if w] + \
                     [w.lower() for w in words]
        positive = [v for v in values if not v.startswith("!")]
        negative = [v[1:] for v in values if v.startswith("!")]
        fold = key in ("description", "all")

        def hit(v: str) -> bool:
            v = v.lower() if fold else v
            return any(f.startswith(v) for f in fields)

        if any(hit(v) for v in negative):
            return False
        return not positive or any(hit(v) for v in positive)

    async def put_resource_policy(self, ctx, params):
        s = self.secret(ctx, params.get("SecretId"))
        doc = self._policy_document(params.get("ResourcePolicy"))
        if params.get("BlockPublicPolicy") and _is_public(doc):
            raise ServiceError("PublicPolicyException", "The BlockPublicPolicy parameter is set to true, and the "
                               "resource policy did not prevent broad access to the secret.")
        s.policy = params["ResourcePolicy"]
        self.store.save(s)
        return self._ident(s)

    @staticmethod
    def _policy_document(text: str | None) -> dict:
        _length("resourcePolicy", text, 1, 20480)
        try:
            doc = json.loads(text)
        except (TypeError, ValueError):
            doc = None
        problems = _policy_problems(doc)
        if problems:
            raise ServiceError("MalformedPolicyDocumentException", f"This resource policy contains an unsupported "
                               f"element: {problems[0]}")
        return doc

    async def put_secret_value(self, ctx, params):
        s = self.secret(ctx, params.get("SecretId"))
        value = self._value_of(params, required=True)
        version_id = self._version_token(params)
        stages = params.get("VersionStages")
        stages = [CURRENT] if stages is None else self._checked_stages(stages)
        existing = self.store.version(s.arn, version_id)
        if existing is not None and existing.kind is not None:
            if await self._same_value(s, existing, value):
                return self._ident(s, VersionId=version_id, VersionStages=list(existing.stages))
            raise ServiceError("ResourceExistsException",
                               "You can't modify an existing version, you can only create a new version.")
        await self.add_version(s, version_id, value, stages)
        if CURRENT in stages:
            self._counts_as_rotation(s)
        v = self.store.version(s.arn, version_id)
        return self._ident(s, VersionId=version_id, VersionStages=list(v.stages))

    def _counts_as_rotation(self, s: Secret) -> None:
        """A new current value set by hand counts as a rotation for AutomaticallyAfterDays: the next one is
        planned from it."""
        if s.rotation.get("enabled") and "AutomaticallyAfterDays" in (s.rotation.get("rules") or {}):
            self.rotation.schedule(s, self.clock.now())

    @staticmethod
    def _checked_stages(stages: list[str]) -> list[str]:
        if len(stages) > 20:
            raise invalid_parameter("You can attach at most 20 staging labels to a version.")
        for label in stages:
            if not STAGE.match(label):
                raise invalid_parameter("A staging label must be between 1 and 256 characters.")
        return list(dict.fromkeys(stages))

    async def remove_regions_from_replication(self, ctx, params):
        s = self.secret(ctx, params.get("SecretId"))
        regions = params.get("RemoveReplicaRegions") or []
        known = {r["Region"] for r in s.replicas}
        for region in regions:
            if region not in known:
                raise invalid_parameter(f"The secret isn't replicated to the Region {region}.")
        s.replicas = [r for r in s.replicas if r["Region"] not in regions]
        self.store.save(s)
        return {"ARN": s.arn, "ReplicationStatus": s.replicas}

    async def replicate_secret_to_regions(self, ctx, params):
        s = self.secret(ctx, params.get("SecretId"))
        if s.primary_region and s.primary_region != s.region:
            raise invalid_request("You can't replicate a replica secret.")
        s.replicas = self._replicas(ctx, params.get("AddReplicaRegions") or [], s.replicas,
                                    bool(params.get("ForceOverwriteReplicaSecret")))
        self.store.save(s)
        return {"ARN": s.arn, "ReplicationStatus": s.replicas}

    def _replicas(self, ctx, add: list, current: list, force: bool = False) -> list:
        out = list(current)
        for r in add:
            region = r.get("Region")
            if not region or region == ctx.region:
                raise invalid_parameter("Invalid replica Region: a secret can't be replicated to its own Region.")
            if any(x["Region"] == region for x in out) and not force:
                raise invalid_parameter(f"The secret is already replicated to the Region {region}.")
            out = [x for x in out if x["Region"] != region]
            entry = {"Region": region, "KmsKeyId": r.get("KmsKeyId") or "alias/aws/secretsmanager",
                     "Status": "InSync", "StatusMessage": "Replication succeeded"}
            out.append(entry)
        return out

    async def restore_secret(self, ctx, params):
        s = self.secret(ctx, params.get("SecretId"), deleted_ok=True)
        if s.deleted is not None:
            s.deleted = None
            self.store.save(s)
            self.scheduler.cancel(PURGE_KIND, s.arn)
            # A rotation that fell due while the secret was pending deletion did not run: plan the next one.
            now = self.clock.now()
            if s.rotation.get("enabled") and (s.rotation.get("next") or 0) <= now:
                self.rotation.schedule(s, now)
        return self._ident(s)

    async def rotate_secret(self, ctx, params):
        s = self.secret(ctx, params.get("SecretId"))
        return await self.rotation.start(ctx, s, params)

    async def stop_replication_to_replica(self, ctx, params):
        """Called in a replica's Region: the replica leaves its primary and becomes a standalone secret there,
        with the primary's labelled versions."""
        secret_id = params.get("SecretId")
        if not secret_id:
            raise invalid_parameter("You must provide a value for the SecretId parameter.")
        m = ARN.match(secret_id)
        name = m.group(3) if m else secret_id
        primary = next(self._primaries_replicating_to(ctx, name), None)
        if primary is None:
            raise not_found()
        replica = next(r for r in primary.replicas if r["Region"] == ctx.region)
        primary.replicas = [r for r in primary.replicas if r["Region"] != ctx.region]
        self.store.save(primary)
        now = self.clock.now()
        arn = primary.arn.replace(f":{primary.region}:", f":{ctx.region}:", 1)
        kms = replica.get("KmsKeyId")
        standalone = Secret(arn, ctx.account, ctx.region, primary.name, primary.description,
                            None if kms == "alias/aws/secretsmanager" else kms, list(primary.tags),
                            created=now, last_changed=now)
        self.store.save(standalone)
        for v in self.store.versions(primary.arn):
            if v.stages and v.kind is not None:
                plain = await self.plaintext(primary, v)
                await self.add_version(standalone, v.version_id, (v.kind, plain), list(v.stages))
        return {"ARN": arn}

    def _primaries_replicating_to(self, ctx, name: str):
        """Secrets of this account replicated to this Region, named ``name`` (or name-suffix, from an ARN)."""
        for row in self.db.query("SELECT arn FROM secretsmanager_secrets WHERE account = ? AND replicas LIKE ?",
                                 (ctx.account, f'%"{ctx.region}"%')):
            s = self.store.by_arn(row[0])
            if s and (s.name == name or s.arn.split(":secret:", 1)[1] == name) and \
                    any(r["Region"] == ctx.region for r in s.replicas):
                yield s

    async def tag_resource(self, ctx, params):
        s = self.secret(ctx, params.get("SecretId"))
        tags = {t["Key"]: t for t in s.tags}
        for t in self._checked_tags(params.get("Tags") or [], limit=False):
            tags[t["Key"]] = t
        s.tags = self._checked_tags(list(tags.values()))
        self.store.save(s)
        return {}

    @staticmethod
    def _checked_tags(tags: list, limit: bool = True) -> list:
        if limit and len(tags) > MAX_TAGS:
            raise invalid_parameter(f"The number of tags exceeds the limit of {MAX_TAGS} tags per secret.")
        out = []
        for t in tags:
            key = t.get("Key") or ""
            if not 1 <= len(key) <= 128 or len(t.get("Value", "")) > 256:
                raise invalid_parameter("A tag key must be 1 to 128 characters and a tag value at most 256.")
            if key.lower().startswith("aws:"):
                raise invalid_parameter("Invalid tag key: the prefix aws: is reserved for AWS use.")
            out.append({"Key": key, "Value": t.get("Value", "")})
        return out

    async def untag_resource(self, ctx, params):
        s = self.secret(ctx, params.get("SecretId"))
        drop = set(params.get("TagKeys") or [])
        s.tags = [t for t in s.tags if t["Key"] not in drop]
        self.store.save(s)
        return {}

    async def update_secret(self, ctx, params):
        s = self.secret(ctx, params.get("SecretId"))
        _length("description", params.get("Description"), 0, 2048)
        value = self._value_of(params, required=False)
        if params.get("Description") is not None:
            s.description = params["Description"]
        if params.get("KmsKeyId") is not None:
            s.kms_key_id = params["KmsKeyId"]
        s.last_changed = self.clock.now()
        version_id = None
        if value is not None:
            version_id = self._version_token(params)
            existing = self.store.version(s.arn, version_id)
            if existing is not None:
                if await self._same_value(s, existing, value):
                    return self._ident(s, VersionId=version_id)
                raise ServiceError("ResourceExistsException",
                                   "You can't modify an existing version, you can only create a new version.")
            await self.add_version(s, version_id, value, [CURRENT])
            self._counts_as_rotation(s)
        else:
            self.store.save(s)
        return self._ident(s, VersionId=version_id)

    async def update_secret_version_stage(self, ctx, params):
        s = self.secret(ctx, params.get("SecretId"))
        label = params.get("VersionStage") or ""
        self._checked_stages([label])
        remove_from, move_to = params.get("RemoveFromVersionId"), params.get("MoveToVersionId")
        versions = self.store.versions(s.arn)
        by_id = {v.version_id: v for v in versions}
        for vid in (remove_from, move_to):
            if vid is not None and vid not in by_id:
                raise invalid_parameter(f"The version {vid} doesn't exist for the secret.")
        holder = next((v for v in versions if label in v.stages), None)
        if holder is not None and holder.version_id != move_to and holder.version_id != remove_from:
            raise invalid_parameter(f"The parameter RemoveFromVersionId can't be empty. Staging label {label} is "
                                    f"currently attached to version {holder.version_id}, so you must explicitly "
                                    f"reference that version in RemoveFromVersionId.")
        if remove_from is not None and label not in by_id[remove_from].stages:
            raise invalid_parameter(f"The staging label {label} is not attached to the version {remove_from}.")
        if move_to is None and remove_from is None:
            return self._ident(s)  # the label is on no version (else the check above refused): nothing to move
        if move_to is None:
            if label == CURRENT:
                raise invalid_parameter("You can't remove the staging label AWSCURRENT from a version without "
                                        "moving it to another version.")
            by_id[remove_from].stages.remove(label)
            self.store.set_stages(s.arn, remove_from, by_id[remove_from].stages)
        else:
            self.stage(s, move_to, [label], versions)
        s.last_changed = self.clock.now()
        self.store.save(s)
        return self._ident(s)

    async def validate_resource_policy(self, ctx, params):
        if params.get("SecretId"):
            self.secret(ctx, params["SecretId"])
        text = params.get("ResourcePolicy")
        _length("resourcePolicy", text, 1, 20480)
        try:
            doc = json.loads(text)
        except ValueError:
            raise ServiceError("MalformedPolicyDocumentException",
                               "This resource policy contains an unsupported element: it is not valid JSON.") from None
        errors = [{"CheckName": "SYNTAX_CHECKING", "ErrorMessage": p} for p in _policy_problems(doc)]
        if not errors and _is_public(doc):
            errors.append({"CheckName": "PUBLIC_ACCESS_CHECKING",
                           "ErrorMessage": "The resource policy grants broad access to the secret."})
        return {"PolicyValidationPassed": not errors, "ValidationErrors": errors}


def _statements(doc) -> list:
    statements = doc.get("Statement") if isinstance(doc, dict) else None
    return [statements] if isinstance(statements, dict) else statements if isinstance(statements, list) else []


def _policy_problems(doc) -> list[str]:
    if not isinstance(doc, dict):
        return ["the policy is not a JSON object"]
    statements = _statements(doc)
    if not statements:
        return ["the policy has no Statement"]
    problems = []
    allowed = {"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource",
               "Condition"}
    for st in statements:
        if not isinstance(st, dict):
            problems.append("a statement is not a JSON object")
            continue
        extra = set(st) - allowed
        if extra:
            problems.append(f"unknown statement element {sorted(extra)[0]}")
        if st.get("Effect") not in ("Allow", "Deny"):
            problems.append("the Effect of a statement must be Allow or Deny")
        if "Action" not in st and "NotAction" not in st:
            problems.append("a statement has no Action")
    return problems


def _is_public(doc) -> bool:
    for st in _statements(doc):
        if not isinstance(st, dict) or st.get("Effect") != "Allow" or st.get("Condition"):
            continue
        principal = st.get("Principal")
        if principal == "*" or (isinstance(principal, dict) and principal.get("AWS") in ("*", ["*"])):
            return True
    return False
