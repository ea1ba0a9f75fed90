"""Aliases: ``alias/<name>`` names for keys, one key per alias, many aliases per key.

``alias/aws/`` is AWS's: users cannot make, move or delete those names.
"""
from __future__ import annotations

import re

from ...protocol.errors import ServiceError
from ..base import RequestContext
from . import errors as e
from .store import Alias, Key

_ALIAS_CHARS = re.compile(r"^[a-zA-Z0-9:/_-]+$")


def _kind(key: Key) -> tuple[str, bool]:
    """What an alias may move between: the same key usage, symmetric or not."""
    return key.usage, key.spec == "SYMMETRIC_DEFAULT"


class Aliases:
    def _alias_name(self, params: dict) -> str:
        name = e.required(params, "AliasName")
        e.length(name, "aliasName", 1, 256)
        if not _ALIAS_CHARS.match(name):
            raise e.constraint(name, "aliasName", "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$")
        if not name.startswith("alias/"):
            raise e.validation('Alias must start with the prefix "alias/". Please see '
                               "https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html")
        if name.startswith("alias/aws/"):
            raise ServiceError("NotAuthorizedException", "Cannot create, update or delete an alias with the prefix "
                               "'alias/aws/': those are reserved for AWS managed keys.")
        return name

    def _target(self, ctx: RequestContext, params: dict) -> Key:
        key = self._key(ctx, params, "TargetKeyId", aliases=False)
        self._not_pending_deletion(key)
        if key.manager != "CUSTOMER":
            raise ServiceError("NotAuthorizedException", f"{key.arn} is an AWS managed key and cannot take an alias.")
        return key

    def create_alias(self, ctx: RequestContext, params: dict) -> dict:
        name = self._alias_name(params)
        key = self._target(ctx, params)
        existing = self.store.alias(ctx.account, ctx.region, name)
        if existing is not None:
            raise ServiceError("AlreadyExistsException", f"An alias with the name {existing.arn} already exists")
        now = self.clock.now()
        self.store.save_alias(Alias(ctx.account, ctx.region, name, key.id, now, now))
        return {}

    def _existing_alias(self, ctx: RequestContext, name: str) -> Alias:
        alias = self.store.alias(ctx.account, ctx.region, name)
        if alias is None:
            raise e.not_found(f"Alias 'arn:aws:kms:{ctx.region}:{ctx.account}:{name}' is not found.")
        return alias

    def update_alias(self, ctx: RequestContext, params: dict) -> dict:
        name = self._alias_name(params)
        key = self._target(ctx, params)
        alias = self._existing_alias(ctx, name)
        current = self.store.find(alias.region, alias.key_id)
        if current is not None and _kind(current) != _kind(key):
            raise e.validation(f"Alias {alias.arn} cannot be changed from a key of usage {current.usage} and spec "
                               f"{current.spec} to a key of usage {key.usage} and spec {key.spec}.")
        alias.key_id = key.id
        alias.updated = self.clock.now()
        self.store.save_alias(alias)
        return {}

    def delete_alias(self, ctx: RequestContext, params: dict) -> dict:
        name = self._alias_name(params)
        self.store.delete_alias(self._existing_alias(ctx, name))
        return {}

    def list_aliases(self, ctx: RequestContext, params: dict) -> dict:
        aliases = self.store.aliases_in(ctx.account, ctx.region)
        if params.get("KeyId") is not None:
            key = self._key(ctx, params)
            aliases = [a for a in aliases if a.key_id == key.id]
        rows = [{"AliasName": a.name, "AliasArn": a.arn, "TargetKeyId": a.key_id, "CreationDate": a.created,
                 "LastUpdatedDate": a.updated} for a in aliases]
        return e.page(rows, params, "Aliases", 50, 100)
