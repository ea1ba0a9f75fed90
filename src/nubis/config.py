"""Every setting of nubis, in one place.

A setting's value comes from, in order: a command-line flag, a ``NUBIS_<NAME>``
environment variable, the default below.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field


def _default_data_dir() -> str:
    import platformdirs

    return platformdirs.user_data_dir("nubis")


def _bool(text: str) -> bool:
    return text.strip().lower() in ("1", "true", "yes", "on")


@dataclass
class Config:
    host: str = "127.0.0.1"
    port: int = 4566
    # Where durable state lives; ignored when ``ephemeral`` is set.
    data_dir: str = field(default_factory=_default_data_dir)
    # Keep state in a temporary directory removed at exit.
    ephemeral: bool = False
    # "normal": an acknowledged write survives the process being killed;
    # "full": it also survives power loss (an fsync per commit).
    sync: str = "normal"
    log_level: str = "info"
    # The account of requests whose access key id is not a 12-digit number.
    default_account: str = "000000000000"
    default_region: str = "us-east-1"
    # Base host name for data-plane names (<bucket>.s3.<hostname>, ...).
    # Names under localhost.localstack.cloud are always accepted too.
    hostname: str = "localhost"
    # Extra providers, "service=module:Class,..." (plugins and tests).
    providers: str = ""
    # A Lambda execution environment unused this many minutes is stopped.
    lambda_idle_minutes: int = 10
    # The account's Lambda concurrency limit (GetAccountSettings' ConcurrentExecutions).
    lambda_concurrent_executions: int = 1000
    # Check SigV4 signatures and evaluate policies (auth/enforce.py); off:
    # any key is accepted and nothing is denied.
    enforce_iam: bool = False
    # The root credentials of the default account when enforcing.
    root_access_key_id: str = "test"
    root_secret_access_key: str = "test"

    @property
    def endpoint(self) -> str:
        host = "localhost" if self.host in ("127.0.0.1", "0.0.0.0", "::") else self.host
        return f"http://{host}:{self.port}"


_TYPES = {f.name: f.type for f in dataclasses.fields(Config)}


def from_env(environ: dict[str, str] | None = None, **overrides) -> Config:
    """Build a Config from NUBIS_* variables, then explicit overrides (flags)."""
    environ = os.environ if environ is None else environ
    values: dict = {}
    for f in dataclasses.fields(Config):
        raw = environ.get("NUBIS_" + f.name.upper())
        if raw is None:
            continue
        if f.type in ("int", int):
            values[f.name] = int(raw)
        elif f.type in ("bool", bool):
            values[f.name] = _bool(raw)
        else:
            values[f.name] = raw
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Config(**values)
