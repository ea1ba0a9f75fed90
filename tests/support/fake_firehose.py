"""A test-only Firehose: records PutRecord calls until the real service lands.
``GET /_nubis/firehose/records`` lists what was received."""
import base64

from nubis.services.base import Provider


class FakeFirehose(Provider):
    service = "firehose"

    def start(self):
        self.records = []

    def put_record(self, ctx, params):
        self.records.append({"DeliveryStreamName": params["DeliveryStreamName"],
                             "Data": base64.b64encode(params["Record"]["Data"]).decode(),
                             "principal": ctx.principal, "account": ctx.account})
        return {"RecordId": str(len(self.records)), "Encrypted": False}

    def nubis_api(self, method, path, query, doc):
        if path == "records":
            return {"records": self.records}
        return None
