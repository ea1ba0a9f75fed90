"""Server certificates (UploadServerCertificate and friends): PEM X.509 certificates kept for TLS front ends."""
from __future__ import annotations

from ...auth.credentials import partition
from ...protocol.errors import ServiceError
from .entities import check_name, check_path, exists, new_id, no_such, tags_in
from .paging import page


class ServerCertificatesMixin:
    """Operations of ``IamProvider``."""

    # -- server certificates ---------------------------------------------------------------------

    def upload_server_certificate(self, ctx, params):
        name = check_name(params.get("ServerCertificateName"), "serverCertificateName", 128)
        path = check_path(params.get("Path"))
        key = name.lower()
        if self.store.get(ctx.account, "cert", key) is not None:
            raise exists(f"The Server Certificate with name {name} already exists.")
        body = params.get("CertificateBody") or ""
        expiration = self._certificate_expiry(body)
        meta = {"Path": path, "ServerCertificateName": name, "ServerCertificateId": new_id("ASCA"),
                "Arn": f"arn:{partition(ctx.region)}:iam::{ctx.account}:server-certificate{path}{name}",
                "UploadDate": self.clock.now(), "Expiration": expiration}
        doc = {"_meta": meta, "_body": body, "_chain": params.get("CertificateChain"), "Tags": tags_in(params),
               "_key": key}
        self.store.put(ctx.account, "cert", key, doc)
        return {"ServerCertificateMetadata": meta, "Tags": doc["Tags"] or None}

    @staticmethod
    def _certificate_expiry(body: str) -> float:
        try:
            from cryptography import x509
            cert = x509.load_pem_x509_certificate(body.encode())
        except Exception:
            raise ServiceError("MalformedCertificate", "Certificate body is invalid or not PEM-encoded.",
                               400) from None
        return cert.not_valid_after_utc.timestamp()

    def _cert(self, ctx, name) -> dict:
        doc = self.store.get(ctx.account, "cert", (name or "").lower())
        if doc is None:
            raise no_such(f"The Server Certificate with name {name} cannot be found.")
        return doc

    def get_server_certificate(self, ctx, params):
        doc = self._cert(ctx, params.get("ServerCertificateName"))
        out = {"ServerCertificateMetadata": doc["_meta"], "CertificateBody": doc["_body"]}
        if doc.get("_chain"):
            out["CertificateChain"] = doc["_chain"]
        if doc.get("Tags"):
            out["Tags"] = doc["Tags"]
        return {"ServerCertificate": out}

    def list_server_certificates(self, ctx, params):
        prefix = params.get("PathPrefix") or "/"
        items = [d["_meta"] for d in sorted(self.store.all(ctx.account, "cert"), key=lambda d: d["_key"])
                 if d["_meta"]["Path"].startswith(prefix)]
        return page(items, params, "ServerCertificateMetadataList")

    def update_server_certificate(self, ctx, params):
        doc = self._cert(ctx, params.get("ServerCertificateName"))
        meta = doc["_meta"]
        if params.get("NewServerCertificateName"):
            self.store.delete(ctx.account, "cert", doc["_key"])
            meta["ServerCertificateName"] = check_name(params["NewServerCertificateName"],
                                                       "newServerCertificateName", 128)
            doc["_key"] = meta["ServerCertificateName"].lower()
        if params.get("NewPath"):
            meta["Path"] = check_path(params["NewPath"], "newPath")
        meta["Arn"] = (f"arn:{partition(ctx.region)}:iam::{ctx.account}:server-certificate{meta['Path']}"
                       f"{meta['ServerCertificateName']}")
        self.store.put(ctx.account, "cert", doc["_key"], doc)
        return {}

    def delete_server_certificate(self, ctx, params):
        doc = self._cert(ctx, params.get("ServerCertificateName"))
        self.store.delete(ctx.account, "cert", doc["_key"])
        return {}
