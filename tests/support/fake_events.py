"""A test-only EventBridge: records the PutEvents entries S3 sends until the
real service lands (loaded through the ``providers`` setting).

An entry whose resources name a bucket starting ``flaky`` fails twice as
an ``InternalFailure`` entry (FailedEntryCount 1), as a throttled or
failing bus does, then succeeds. ``GET /_nubis/events/entries`` lists what
was received.
"""
from nubis.protocol.wire import uuid4_text
from nubis.services.base import Provider


class FakeEvents(Provider):
    service = "events"

    def start(self):
        self.reset()

    def reset(self):
        self.entries = []
        self.failures = 0

    def put_events(self, ctx, params):
        results, failed = [], 0
        for entry in params["Entries"]:
            if any(r.startswith("arn:aws:s3:::flaky") for r in entry.get("Resources") or []) and self.failures < 2:
                self.failures += 1
                failed += 1
                results.append({"ErrorCode": "InternalFailure", "ErrorMessage": "try again"})
                continue
            event_id = uuid4_text()
            time = entry.get("Time")
            self.entries.append({**entry, "Time": time.isoformat() if time is not None else None, "Id": event_id,
                                 "principal": ctx.principal, "account": ctx.account, "region": ctx.region})
            results.append({"EventId": event_id})
        return {"FailedEntryCount": failed, "Entries": results}

    def nubis_api(self, method, path, query, doc):
        if path == "entries":
            return {"entries": self.entries}
        return None
