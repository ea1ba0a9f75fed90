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
