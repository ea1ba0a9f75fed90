"""The errors of authentication, as each kind of AWS front end answers them.

S3 has its own codes and fields (``SignatureDoesNotMatch`` with the string to
sign, ``InvalidAccessKeyId``, ``RequestTimeTooSkewed``); query services
(SQS's and SNS's old protocol, STS, IAM) answer ``InvalidClientTokenId``,
``SignatureDoesNotMatch``, ``IncompleteSignature``, ``MissingAuthenticationToken``
with 403; JSON services (``awsJson``: DynamoDB, Kinesis, ...) answer the
``...Exception`` forms with 400, REST-JSON ones (Lambda, ...) with 403.
A JSON service that is query-compatible (SQS) keeps the query codes.
"""
from __future__ import annotations

from ..protocol.errors import ServiceError

S3, QUERY, JSON, REST = "s3", "query", "json", "rest"

_SIG_MESSAGE = ("The request signature we calculated does not match the signature you provided. "
                "Check your AWS Secret Access Key and signing method. Consult the service documentation "
                "for details.")
_S3_SIG_MESSAGE = ("The request signature we calculated does not match the signature you provided. "
                   "Check your key and signing method.")
_TOKEN_MESSAGE = "The security token included in the request is invalid."


def _status(style: str) -> int:
    return 400 if style == JSON else 403


def _code(style: str, query_code: str, json_code: str) -> str:
    return query_code if style == QUERY else json_code


def _hex_bytes(text: str) -> str:
    return " ".join(f"{b:02x}" for b in text.encode("utf-8"))


def invalid_access_key(style: str, access_key: str) -> ServiceError:
    if style == S3:
        return ServiceError("InvalidAccessKeyId",
                            "The AWS Access Key Id you provided does not exist in our records.", 403,
                            AWSAccessKeyId=access_key)
    return ServiceError(_code(style, "InvalidClientTokenId", "UnrecognizedClientException"), _TOKEN_MESSAGE,
                        _status(style))


def signature_mismatch(style: str, access_key: str, string_to_sign: str, provided: str,
                       canonical_request: str | None) -> ServiceError:
    if style == S3:
        fields = {"AWSAccessKeyId": access_key, "StringToSign": string_to_sign, "SignatureProvided": provided,
                  "StringToSignBytes": _hex_bytes(string_to_sign)}
        if canonical_request is not None:  # SigV4 (SigV2 has no canonical request)
            fields["CanonicalRequest"] = canonical_request
            fields["CanonicalRequestBytes"] = _hex_bytes(canonical_request)
        return ServiceError("SignatureDoesNotMatch", _S3_SIG_MESSAGE, 403, fields=fields)
    message = (f"{_SIG_MESSAGE}\n\nThe Canonical String for this request should have been\n'{canonical_request}'"
               f"\n\nThe String-to-Sign should have been\n'{string_to_sign}'\n")
    return ServiceError(_code(style, "SignatureDoesNotMatch", "InvalidSignatureException"), message,
                        _status(style))


def malformed(style: str, message: str, region: str | None = None) -> ServiceError:
    """A SigV4 header or query that can't be read."""
    if style == S3:
        fields = {"Region": region} if region else {}
        return ServiceError("AuthorizationHeaderMalformed", f"The authorization header is malformed; {message}",
                            400, fields=fields)
    return incomplete(style, message)


def query_malformed(message: str) -> ServiceError:
    """S3: a presigned URL's X-Amz-* parameters can't be read."""
    return ServiceError("AuthorizationQueryParametersError", message, 400)


def incomplete(style: str, message: str) -> ServiceError:
    if style == S3:
        return ServiceError("AccessDenied", message, 403)
    return ServiceError(_code(style, "IncompleteSignature", "IncompleteSignatureException"), message,
                        _status(style))


def missing_token(style: str) -> ServiceError:
    if style == QUERY:
        return ServiceError("MissingAuthenticationToken", "Request is missing Authentication Token", 403)
    return ServiceError("MissingAuthenticationTokenException", "Missing Authentication Token", _status(style))


def skewed(style: str, request_time: str, server_time: str, detail: str) -> ServiceError:
    if style == S3:
        return ServiceError("RequestTimeTooSkewed",
                            "The difference between the request time and the current time is too large.", 403,
                            RequestTime=request_time, ServerTime=server_time, MaxAllowedSkewMilliseconds="900000")
    return ServiceError(_code(style, "SignatureDoesNotMatch", "InvalidSignatureException"), detail,
                        _status(style))


def expired_token(style: str) -> ServiceError:
    if style == S3:
        return ServiceError("ExpiredToken", "The provided token has expired.", 400)
    return ServiceError(_code(style, "ExpiredToken", "ExpiredTokenException"),
                        "The security token included in the request is expired", _status(style))


def invalid_token(style: str) -> ServiceError:
    if style == S3:
        return ServiceError("InvalidToken", "The provided token is malformed or otherwise invalid.", 400)
    return ServiceError(_code(style, "InvalidClientTokenId", "UnrecognizedClientException"), _TOKEN_MESSAGE,
                        _status(style))


def access_denied(style: str, message: str = "Access Denied") -> ServiceError:
    if style == S3:
        return ServiceError("AccessDenied", message, 403)
    return ServiceError(_code(style, "AccessDenied", "AccessDeniedException"), message,
                        400 if style == JSON else 403)
