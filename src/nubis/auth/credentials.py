"""Access key -> account and principal.

Without enforcement only :func:`account_for` is used: any key is accepted and
a 12-digit key id names its account. With enforcement a :class:`Resolver`
finds the secret and the principal of a key: the configured root keys, any
12-digit key id with the secret ``test`` (the root of that account), and
whatever keys other services register (IAM users' keys, STS sessions).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

_ACCOUNT = re.compile(r"^\d{12}$")


def account_for(access_key: str | None, default: str) -> str:
    """The account of a request: the access key id when it is 12 digits."""
    known = _accounts.get(access_key)
    if known is None:
        known = bool(access_key and _ACCOUNT.match(access_key))
        if len(_accounts) < 4096:  # (the keys of a run are few; a flood is not kept)
            _accounts[access_key] = known
    return access_key if known else default


_accounts: dict = {}  # access key -> whether it names an account (12 digits)


def partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def root_arn(account: str, region: str = "us-east-1") -> str:
    return f"arn:{partition(region)}:iam::{account}:root"


@dataclass(frozen=True)
class Credential:
    """What an access key stands for."""

    access_key: str
    secret: str
    account: str
    principal: str                      # the caller's ARN
    session_token: str | None = None    # required on the request when set (STS keys)
    expires: float | None = None        # epoch seconds (STS keys)
    user_id: str | None = None          # aws:userid
    username: str | None = None         # aws:username (IAM users only)
    # The identity policies of the principal (documents or JSON text); None: not
    # limited by any (an account's root).
    policies: tuple | None = None

    @property
    def is_root(self) -> bool:
        return self.principal.endswith(":root")


# A lookup: access key id -> Credential, or None when it does not know the key.
Lookup = Callable[[str], "Credential | None"]

# The services whose keys outlive a restart (IAM access keys, STS sessions):
# their provider's ``credential_for(access_key) -> Credential | None`` is asked,
# in this order, about a key that is neither the root key nor 12 digits.
KEY_SERVICES = ("sts", "iam")


class Resolver:
    """Access key id -> :class:`Credential` (None: unknown key)."""

    def __init__(self, root_key: str, root_secret: str, default_account: str,
                 provider: Callable | None = None):
        self.root_key = root_key
        self.root_secret = root_secret
        self.default_account = default_account
        self._provider = provider  # service -> its started provider (Runtime.provider)
        self._lookups: list[Lookup] = []
        self._root: Credential | None = None  # the configured root key's credential

    def register(self, lookup: Lookup) -> None:
        """Add a lookup that is asked first (in-process key sources, tests)."""
        self._lookups.append(lookup)

    def resolve(self, access_key: str) -> Credential | None:
        for lookup in self._lookups:
            found = lookup(access_key)
            if found is not None:
                return found
        if access_key == self.root_key:
            if self._root is None:
                self._root = self.root(access_key, self.root_secret, self.default_account)
            return self._root
        if _ACCOUNT.match(access_key):
            return self.root(access_key, "test", access_key)
        if self._provider is not None:
            for service in KEY_SERVICES:
                lookup = getattr(self._provider(service), "credential_for", None)
                found = lookup(access_key) if lookup is not None else None
                if found is not None:
                    return found
        return None

    @staticmethod
    def root(access_key: str, secret: str, account: str) -> Credential:
        # A root credential is fixed by its three parts: made once, not per request.
        found = _ROOTS.get((access_key, secret, account))
        if found is None:
            if len(_ROOTS) > 1024:
                _ROOTS.clear()
            found = _ROOTS[(access_key, secret, account)] = Credential(access_key, secret, account,
                                                                       root_arn(account), user_id=account)
        return found


_ROOTS: dict[tuple[str, str, str], Credential] = {}
