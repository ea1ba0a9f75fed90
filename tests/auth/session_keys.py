"""A test-only STS: the real provider plus ``credential_for``, the hook through
which STS (and IAM) give the enforcer their keys. It knows one session key, an
assumed role whose identity policy lets it read ``owned-bucket/docs/*`` and
its own home folder, expiring an hour after the provider started (on the
controllable clock)."""
from __future__ import annotations

from nubis.auth.credentials import Credential
from nubis.services.sts.provider import StsProvider

SESSION_KEY = "ASIATESTSESSIONKEY01"
SESSION_SECRET = "session-secret"
SESSION_TOKEN = "FwoGZXIvYXdzEXAMPLETOKEN"
ROLE_ARN = "arn:aws:sts::000000000000:assumed-role/reader/session"
USER_ID = "AROAEXAMPLEROLEID:session"
POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:GetObject",
     "Resource": ["arn:aws:s3:::owned-bucket/docs/*", "arn:aws:s3:::owned-bucket/home/${aws:userid}/*"]},
    {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::owned-bucket/home/${aws:userid}/*"}]}


class StsWithSessionKeys(StsProvider):
    def start(self) -> None:
        super().start()
        self.expires = self.clock.now() + 3600

    def credential_for(self, access_key: str) -> Credential | None:
        if access_key != SESSION_KEY:
            return None
        return Credential(SESSION_KEY, SESSION_SECRET, "000000000000", ROLE_ARN, session_token=SESSION_TOKEN,
                          expires=self.expires, user_id=USER_ID, policies=(POLICY,))
