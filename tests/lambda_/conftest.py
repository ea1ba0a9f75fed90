"""Helpers for the Lambda tests: zips built here, a client, a function factory."""
from __future__ import annotations

import io
import zipfile

import pytest
from botocore.config import Config

from nubis.testing.errors import code, error_of, status  # noqa: F401  (the tests import them from here)

ACCOUNT = "000000000000"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/lambda-role"
NO_RETRY = Config(retries={"total_max_attempts": 1}, read_timeout=60)


def zip_of(files: dict[str, str | bytes], modes: dict[str, int] | None = None) -> bytes:
    """A deployment package: {path: content}; ``modes`` sets Unix permissions."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in files.items():
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = ((modes or {}).get(name, 0o644) | 0o100000) << 16
            z.writestr(info, content)
    return buf.getvalue()


@pytest.fixture
def lam(aws_client):
    return aws_client("lambda", config=NO_RETRY)


@pytest.fixture
def unchecked_lam(aws_client):
    """A client that sends what it is given (botocore checks some limits itself)."""
    return aws_client("lambda", config=NO_RETRY.merge(Config(parameter_validation=False)))


@pytest.fixture
def make_function(lam):
    """make_function(name, code: {file: text}, handler=..., runtime=..., **more) -> the create answer."""
    def make(name: str, files: dict, handler: str = "app.handler", runtime: str = "python3.12", **more):
        return lam.create_function(FunctionName=name, Runtime=runtime, Role=ROLE, Handler=handler,
                                   Code={"ZipFile": zip_of(files, more.pop("modes", None))}, **more)

    return make
