"""IAM's rules for its entities: names, paths, ids, secrets, tags, and its errors."""
from __future__ import annotations

import hashlib
import re
import secrets
import string

from ...protocol.errors import ServiceError

_ID_CHARS = string.ascii_uppercase + string.digits
_KEY_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_SECRET_CHARS = string.ascii_letters + string.digits + "+/"

_NAME = re.compile(r"[\w+=,.@-]+")
_PATH = re.compile(r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)")

# kind -> (Get* shape's name field, the ARN's resource type, id prefix)
KINDS = {"user": ("UserName", "user", "AIDA"), "group": ("GroupName", "group", "AGPA"),
          "role": ("RoleName", "role", "AROA"), "policy": ("PolicyName", "policy", "ANPA"),
          "profile": ("InstanceProfileName", "instance-profile", "AIPA")}
LABEL = {"user": "user", "group": "group", "role": "role", "profile": "Instance Profile"}


def password_hash(password: str, stored: str | None = None) -> str:
    """A salted PBKDF2 of a console password (kept only to check ChangePassword's old one)."""
    salt = bytes.fromhex(stored.split("$", 1)[0]) if stored else secrets.token_bytes(16)
    return salt.hex() + "$" + hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 10_000).hex()


def new_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ID_CHARS) for _ in range(17))


def access_key_id(prefix: str = "AKIA") -> str:
    return prefix + "".join(secrets.choice(_KEY_CHARS) for _ in range(16))


def secret_key() -> str:
    return "".join(secrets.choice(_SECRET_CHARS) for _ in range(40))


def no_such(message: str) -> ServiceError:
    return ServiceError("NoSuchEntity", message, 404)


def exists(message: str) -> ServiceError:
    return ServiceError("EntityAlreadyExists", message, 409)


def conflict(message: str) -> ServiceError:
    return ServiceError("DeleteConflict", message, 409)


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidInput", message, 400)


def validation(value, member: str, constraint: str) -> ServiceError:
    return ServiceError("ValidationError", f"1 validation error detected: Value '{value}' at '{member}' failed to "
                        f"satisfy constraint: {constraint}", 400)


def check_name(value, member: str, maximum: int) -> str:
    if not isinstance(value, str) or not value:
        raise validation(value, member, "Member must have length greater than or equal to 1")
    if len(value) > maximum:
        raise validation(value, member, f"Member must have length less than or equal to {maximum}")
    if not _NAME.fullmatch(value):
        raise validation(value, member, "Member must satisfy regular expression pattern: [\\w+=,.@-]+")
    return value


def check_path(value, member: str = "path") -> str:
    if value is None:
        return "/"
    if len(value) > 512:
        raise validation(value, member, "Member must have length less than or equal to 512")
    if not _PATH.fullmatch(value):
        raise validation(value, member, "Member must satisfy regular expression pattern: "
                         "(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)")
    return value


def tags_in(params: dict) -> list:
    tags = params.get("Tags") or []
    if len(tags) > 50:
        raise ServiceError("LimitExceeded", "Cannot exceed quota for TagsPerResource: 50", 409)
    return [{"Key": t["Key"], "Value": t.get("Value", "")} for t in tags]


def merge_tags(current: list, new: list) -> list:
    merged = {t["Key"]: t for t in current}
    for t in new:
        merged[t["Key"]] = t
    if len(merged) > 50:
        raise ServiceError("LimitExceeded", "Cannot exceed quota for TagsPerResource: 50", 409)
    return list(merged.values())


def public(doc: dict) -> dict:
    out = {k: v for k, v in doc.items() if not k.startswith("_")}
    if not out.get("Tags"):
        out.pop("Tags", None)
    return out
