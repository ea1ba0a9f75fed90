"""S3's errors, with the codes, statuses, messages and fields S3 sends."""
from __future__ import annotations

from ...protocol.errors import ServiceError


def no_such_bucket(name: str) -> ServiceError:
    return ServiceError("NoSuchBucket", "The specified bucket does not exist", 404, BucketName=name)


def no_such_key(key: str) -> ServiceError:
    return ServiceError("NoSuchKey", "The specified key does not exist.", 404, Key=key)


def no_such_version(key: str, version_id: str) -> ServiceError:
    return ServiceError("NoSuchVersion", "The specified version does not exist.", 404, Key=key,
                        VersionId=version_id)


def no_such_upload(upload_id: str) -> ServiceError:
    return ServiceError("NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, "
                        "or the upload may have been aborted or completed.", 404, UploadId=upload_id)


def invalid_argument(message: str, name: str | None = None, value=None) -> ServiceError:
    fields = {}
    if name is not None:
        fields["ArgumentName"] = name
        fields["ArgumentValue"] = "" if value is None else str(value)
    return ServiceError("InvalidArgument", message, 400, **fields)


def precondition_failed(condition: str) -> ServiceError:
    return ServiceError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold",
                        412, Condition=condition)


def access_denied() -> ServiceError:
    return ServiceError("AccessDenied", "Access Denied", 403)


def malformed_xml() -> ServiceError:
    return ServiceError("MalformedXML", "The XML you provided was not well-formed or did not validate against "
                        "our published schema", 400)


def invalid_request(message: str) -> ServiceError:
    return ServiceError("InvalidRequest", message, 400)
