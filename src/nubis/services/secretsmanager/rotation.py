"""Rotation through a Lambda function: the four steps, and the schedule.

For a rotation, Secrets Manager attaches AWSPENDING to a new, empty version
named by the rotation's token, then invokes the function (synchronously, as
``secretsmanager.amazonaws.com``) with ``{"SecretId", "ClientRequestToken",
"Step"}`` for ``createSecret``, ``setSecret``, ``testSecret`` and
``finishSecret``. The function fills the version (PutSecretValue with the
token) and, in finishSecret, moves AWSCURRENT to it. The rotation succeeded
when the token's version is AWSCURRENT; AWSPENDING is then taken off it and
the next rotation is put on the scheduler. A failed step leaves AWSPENDING on
the token's version: the next rotation retries that token.

The steps run within the RotateSecret request (AWS runs them
asynchronously), so a caller sees the rotated value when the call returns.
"""
from __future__ import annotations

import json
import logging
import re
import uuid

from ...protocol.errors import ServiceError
from . import schedule

log = logging.getLogger("nubis.secretsmanager")

CURRENT, PREVIOUS, PENDING = "AWSCURRENT", "AWSPREVIOUS", "AWSPENDING"
ROTATE_KIND = "secretsmanager:rotate"
STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")
PRINCIPAL = "secretsmanager.amazonaws.com"
LAMBDA_ARN = re.compile(r"^arn:aws[\w-]*:lambda:([a-z0-9-]+):(\d{12}):function:[A-Za-z0-9_-]{1,64}(:[\w$-]+)?$")


class StepFailed(Exception):
    pass


class Rotation:
    def __init__(self, provider):
        self.p = provider

    def pending_version(self, secret):
        """The version of a rotation still in progress: AWSPENDING on a version that is not AWSCURRENT."""
        return next((v for v in self.p.store.versions(secret.arn)
                     if PENDING in v.stages and CURRENT not in v.stages), None)

    async def start(self, ctx, secret, params: dict) -> dict:
        from .provider import invalid_parameter, invalid_request

        before = dict(secret.rotation)
        rot = dict(secret.rotation)
        if params.get("RotationLambdaARN") is not None:
            if not LAMBDA_ARN.match(params["RotationLambdaARN"]):
                raise invalid_parameter("The rotation Lambda ARN is not a valid Lambda function ARN.")
            rot["lambda"] = params["RotationLambdaARN"]
        if params.get("RotationRules") is not None:
            rot["rules"] = schedule.validate(params["RotationRules"])
        if not rot.get("lambda"):
            raise invalid_request("No Lambda rotation function ARN is associated with this secret.")
        if not rot.get("rules"):
            raise invalid_parameter("You must specify RotationRules to turn on rotation for this secret.")
        if self.pending_version(secret) is not None:
            raise invalid_request("A previous rotation isn't complete. That rotation will be reattempted.")
        token = self.p._version_token(params)
        rot["enabled"] = True
        secret.rotation = rot
        now = self.p.clock.now()
        immediately = params.get("RotateImmediately", True)
        if not immediately:
            # Only the configuration is checked now, with testSecret on a version that is then removed;
            # the first rotation comes at the next scheduled time.
            await self._add_pending(secret, token)
            try:
                await self._invoke(secret, token, "testSecret")
            except StepFailed as e:
                log.info("rotation test of %s: %s", secret.arn, e)
            except ServiceError:
                self._drop_pending(secret, token)
                secret.rotation = before
                self.p.store.save(secret)
                raise _cannot_invoke() from None
            self._drop_pending(secret, token)
            self.schedule(secret, now)
            return self.p._ident(secret)
        await self._add_pending(secret, token)
        try:
            await self._invoke(secret, token, STEPS[0])
        except ServiceError:
            # The function cannot be invoked at all: nothing was started.
            self._drop_pending(secret, token)
            secret.rotation = before
            self.p.store.save(secret)
            raise _cannot_invoke() from None
        except StepFailed as e:
            log.info("rotation of %s failed in %s", secret.arn, e)
            self._reschedule(secret, now)
            return self.p._ident(secret, VersionId=token)
        await self._finish(secret, token, STEPS[1:])
        return self.p._ident(secret, VersionId=token)

    async def _add_pending(self, secret, token: str) -> None:
        if self.p.store.version(secret.arn, token) is None:
            await self.p.add_version(secret, token, None, [PENDING])
        else:
            self.p.stage(secret, token, [PENDING])
            self.p.store.save(secret)

    def _drop_pending(self, secret, token: str) -> None:
        v = self.p.store.version(secret.arn, token)
        if v is not None and v.kind is None and v.stages == [PENDING]:
            self.p.store.drop_version(secret.arn, token)
        elif v is not None and PENDING in v.stages:
            v.stages.remove(PENDING)
            self.p.store.set_stages(secret.arn, token, v.stages)

    async def _finish(self, secret, token: str, steps) -> bool:
        """Run ``steps``; on success take AWSPENDING off and schedule the next rotation."""
        now = self.p.clock.now()
        try:
            for step in steps:
                await self._invoke(secret, token, step)
        except (StepFailed, ServiceError) as e:
            log.info("rotation of %s failed: %s", secret.arn, e)
            self._reschedule(secret, now)
            return False
        secret = self.p.store.by_arn(secret.arn)
        v = self.p.store.version(secret.arn, token) if secret else None
        if v is None or CURRENT not in v.stages:
            log.info("rotation of %s: finishSecret did not make %s AWSCURRENT", secret and secret.arn, token)
            if secret:
                self._reschedule(secret, now)
            return False
        if PENDING in v.stages:
            v.stages.remove(PENDING)
        self.p.store.set_stages(secret.arn, token, v.stages)
        secret.last_rotated = now
        secret.last_changed = now
        self.schedule(secret, now)
        return True

    def _reschedule(self, secret, now: float) -> None:
        fresh = self.p.store.by_arn(secret.arn)
        if fresh is not None:
            self.schedule(fresh, now)

    def schedule(self, secret, after: float) -> None:
        rot = secret.rotation
        when = schedule.next_rotation(rot["rules"], after) if rot.get("enabled") and rot.get("rules") else None
        rot["next"] = when
        self.p.store.save(secret)
        if when is None:
            self.p.scheduler.cancel(ROTATE_KIND, secret.arn)
        else:
            self.p.scheduler.at(when, ROTATE_KIND, {"arn": secret.arn}, key=secret.arn)

    async def _invoke(self, secret, token: str, step: str) -> None:
        arn = secret.rotation["lambda"]
        m = LAMBDA_ARN.match(arn)
        payload = {"SecretId": secret.arn, "ClientRequestToken": token, "Step": step}
        out = await self.p.internal.call(
            "lambda", "Invoke", {"FunctionName": arn, "InvocationType": "RequestResponse",
                                 "Payload": json.dumps(payload).encode()},
            account=m.group(2), region=m.group(1), principal=PRINCIPAL)
        if out.get("FunctionError"):
            body = out.get("Payload")
            raise StepFailed(f"{step}: {body.decode(errors='replace') if isinstance(body, bytes) else body}")

    async def on_timer(self, payload: dict) -> None:
        """A scheduled rotation: a new token, or the token of the rotation that did not finish."""
        secret = self.p.store.by_arn(payload["arn"])
        if secret is None or secret.deleted is not None or not secret.rotation.get("enabled"):
            return
        pending = self.pending_version(secret)
        token = pending.version_id if pending is not None else str(uuid.uuid4())
        if pending is None:
            await self._add_pending(secret, token)
        await self._finish(secret, token, STEPS)


def _cannot_invoke() -> ServiceError:
    return ServiceError("AccessDeniedException", "Secrets Manager cannot invoke the specified Lambda function. "
                        "Ensure that the function policy grants access to the principal "
                        "secretsmanager.amazonaws.com.")
