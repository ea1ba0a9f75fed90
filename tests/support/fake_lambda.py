"""A test-only Lambda: records the Invoke calls SNS makes until the real
service lands (loaded through the ``providers`` setting).

A function named ``...:function:broken...`` fails as a server-side error
(retried); ``...:function:missing...`` does not exist (a client-side error).
``GET /_nubis/lambda/invocations`` lists what was received.
"""
import json

from nubis.protocol.errors import ServiceError
from nubis.services.base import Provider


class FakeLambda(Provider):
    service = "lambda"

    def start(self):
        self.reset()

    def reset(self):
        self.invocations = []
        self.failures = 0

    def get_function(self, ctx, params):
        # What S3 asks to validate a notification destination.
        name = params["FunctionName"]
        if ":function:missing" in name:
            raise ServiceError("ResourceNotFoundException", f"Function not found: {name}", status=404)
        return {"Configuration": {"FunctionName": name.rsplit(":", 1)[-1], "FunctionArn": name}}

    def invoke(self, ctx, params):
        name = params["FunctionName"]
        if ":function:missing" in name:
            raise ServiceError("ResourceNotFoundException", f"Function not found: {name}", status=404)
        if ":function:broken" in name and self.failures < 2:
            self.failures += 1
            raise ServiceError("ServiceException", "try again", status=500, sender_fault=False)
        self.invocations.append({"FunctionName": name, "InvocationType": params.get("InvocationType"),
                                 "Payload": json.loads(params["Payload"]), "principal": ctx.principal,
                                 "account": ctx.account, "region": ctx.region})
        return {"StatusCode": 202}

    def nubis_api(self, method, path, query, doc):
        if path == "invocations":
            return {"invocations": self.invocations}
        return None


class RotationLambda(FakeLambda):
    """A stand-in rotation function: each Invoke with a ``Step`` performs that
    step by calling back into Secrets Manager, as AWS's rotation templates do
    (the new value is ``rotated-<token>``). A function named
    ``...:function:failing...`` fails its testSecret step."""

    async def invoke(self, ctx, params):
        name = params["FunctionName"]
        if ":function:missing" in name:
            raise ServiceError("ResourceNotFoundException", f"Function not found: {name}", status=404)
        event = json.loads(params["Payload"])
        self.invocations.append({"FunctionName": name, "Payload": event, "principal": ctx.principal})
        try:
            await self._step(ctx, event, ":function:failing" in name)
        except ServiceError as e:
            return {"StatusCode": 200, "FunctionError": "Unhandled",
                    "Payload": json.dumps({"errorType": e.code, "errorMessage": e.message}).encode()}
        return {"StatusCode": 200, "Payload": b"null"}

    async def _step(self, ctx, event, failing):
        async def sm(op, **params):
            return await self.internal.call("secretsmanager", op, params, account=ctx.account, region=ctx.region,
                                            principal="lambda.amazonaws.com")

        arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
        stages = (await sm("DescribeSecret", SecretId=arn))["VersionIdsToStages"]
        if token not in stages or "AWSPENDING" not in stages[token] and "AWSCURRENT" not in stages[token]:
            raise ServiceError("ValueError", f"Secret version {token} has no stage for rotation")
        if step == "createSecret":
            try:
                await sm("GetSecretValue", SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
            except ServiceError:
                await sm("PutSecretValue", SecretId=arn, ClientRequestToken=token, SecretString=f"rotated-{token}",
                         VersionStages=["AWSPENDING"])
        elif step == "testSecret":
            if failing:
                raise ServiceError("RuntimeError", "the new credentials do not work")
            await sm("GetSecretValue", SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
        elif step == "finishSecret":
            current = next(v for v, s in stages.items() if "AWSCURRENT" in s)
            if current != token:
                await sm("UpdateSecretVersionStage", SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=token,
                         RemoveFromVersionId=current)
