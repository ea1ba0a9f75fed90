"""Multi-Region keys: ReplicateKey and UpdatePrimaryRegion.

A primary key and its replicas are separate keys, one per Region, with the
same key id (``mrk-...``) and the same key material, so a ciphertext made
under one decrypts under any other. What they share -- key spec, usage,
origin, material and its rotation -- KMS keeps in step from the primary;
description, policy, tags, aliases, grants and key state are each key's own.
"""
from __future__ import annotations

import re

from ...protocol.errors import ServiceError
from ..base import RequestContext
from . import errors as e
from .store import Key

_REGION = re.compile(r"^([a-z]+-){2,3}\d+$")
# What a replica shares with its primary; kept in step whenever the primary changes them.
SHARED = ("version", "rotation_period", "next_rotation", "on_demand_rotations", "primary_region")


def _region(params: dict, member: str) -> str:
    region = e.required(params, member)
    if not isinstance(region, str):
        raise e.validation(f"Invalid {member}")
    wire = member[0].lower() + member[1:]
    e.length(region, wire, 1, 32)
    if not _REGION.match(region):
        raise e.constraint(region, wire, f"Member must satisfy regular expression pattern: {_REGION.pattern}")
    return region


class MultiRegion:
    def _is_primary(self, key: Key) -> bool:
        return (key.primary_region or key.region) == key.region

    def _primary_of(self, key: Key) -> Key | None:
        return self.store.find(key.primary_region or key.region, key.id)

    def _multi_region_configuration(self, key: Key) -> dict:
        primary_region = key.primary_region or key.region
        related = self.store.related(key)
        primary = next((k for k in related if k.region == primary_region), None)
        primary_arn = primary.arn if primary else f"arn:aws:kms:{primary_region}:{key.account}:key/{key.id}"
        return {"MultiRegionKeyType": "PRIMARY" if key.region == primary_region else "REPLICA",
                "PrimaryKey": {"Arn": primary_arn, "Region": primary_region},
                "ReplicaKeys": [{"Arn": k.arn, "Region": k.region} for k in related if k.region != primary_region]}

    def _sync_related(self, key: Key) -> None:
        """Copy what a multi-Region key's set shares from ``key`` to the others (in the caller's transaction)."""
        if not key.multi_region:
            return
        for other in self.store.related(key):
            if other.row != key.row:
                for name in SHARED:
                    setattr(other, name, getattr(key, name))
                self.store.save(other)

    def _not_replica(self, key: Key, what: str = "this operation") -> None:
        if key.multi_region and not self._is_primary(key):
            raise e.unsupported(f"{key.arn} is a multi-Region replica key; {what} is managed on its primary key "
                                f"in {key.primary_region}.")

    def replicate_key(self, ctx: RequestContext, params: dict) -> dict:
        # The provider module imports this one; its key policy and tag checks are taken here, when needed.
        from .provider import check_lockout, check_policy, check_tags, default_policy
        key = self._key(ctx, params)
        region = _region(params, "ReplicaRegion")
        description = params.get("Description") or ""
        e.length(description, "description", 0, 8192)
        policy = check_policy(params["Policy"]) if params.get("Policy") is not None else None
        tags = check_tags(params.get("Tags"))
        if not key.multi_region:
            raise e.unsupported(f"{key.arn} is not a multi-Region key.")
        if not self._is_primary(key):
            raise e.unsupported(f"{key.arn} is a multi-Region replica key. Only a primary key can be replicated.")
        if key.origin == "EXTERNAL":
            raise e.unsupported("nubis does not replicate multi-Region keys with imported key material.")
        if region == key.region:
            raise e.validation(f"The replica Region {region} must be different from the Region of the primary key.")
        if key.state == "Disabled":
            raise e.disabled(key.arn)
        if key.state != "Enabled":
            raise e.invalid_state(f"{key.arn} is {key.state}.")
        existing = self.store.find(region, key.id)
        if existing is not None:
            raise ServiceError("AlreadyExistsException",
                               f"Replica key {existing.arn} already exists in {region}.")
        arn = f"arn:aws:kms:{region}:{key.account}:key/{key.id}"
        if policy is not None and not params.get("BypassPolicyLockoutSafetyCheck"):
            check_lockout(ctx, policy, arn)
        replica = Key(id=key.id, account=key.account, region=region, created=self.clock.now(), spec=key.spec,
                      usage=key.usage, origin=key.origin, manager=key.manager, description=description,
                      multi_region=True, policy=policy or default_policy(key.account, region), tags=tags,
                      ref=f"{key.id}@{region}")
        for name in SHARED:
            setattr(replica, name, getattr(key, name))
        replica.primary_region = key.region
        with self.db.transaction():
            if key.primary_region is None:
                key.primary_region = key.region
                self.store.save(key)
            self.store.save(replica)
        return {"ReplicaKeyMetadata": self._metadata(replica), "ReplicaPolicy": replica.policy,
                "ReplicaTags": list(replica.tags)}

    def update_primary_region(self, ctx: RequestContext, params: dict) -> dict:
        key = self._key(ctx, params)
        region = _region(params, "PrimaryRegion")
        if not key.multi_region:
            raise e.unsupported(f"{key.arn} is not a multi-Region key.")
        if not self._is_primary(key):
            raise e.unsupported(f"{key.arn} is not the primary key of its multi-Region key set.")
        if key.state == "Disabled":
            raise e.disabled(key.arn)
        if key.state != "Enabled":
            raise e.invalid_state(f"{key.arn} is {key.state}.")
        if region == key.region:
            raise e.unsupported(f"{key.arn} is already the primary key in {region}.")
        new_primary = self.store.find(region, key.id)
        if new_primary is None:
            raise e.not_found(f"Key 'arn:aws:kms:{region}:{key.account}:key/{key.id}' does not exist")
        if new_primary.state not in ("Enabled", "Disabled"):
            raise e.invalid_state(f"{new_primary.arn} is {new_primary.state}.")
        key.primary_region = region
        with self.db.transaction():
            self.store.save(key)
            self._sync_related(key)
            # Automatic rotation is driven from the primary key.
            if key.rotation_period is not None and self.scheduler.cancel("kms:rotate", key.row):
                self.scheduler.at(key.next_rotation, "kms:rotate", {"key": new_primary.row}, key=new_primary.row)
        return {}
