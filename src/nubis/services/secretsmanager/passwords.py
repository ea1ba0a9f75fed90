"""GetRandomPassword: a password from the character classes the request leaves in."""
from __future__ import annotations

import secrets
import string

from ...protocol.errors import ServiceError

# The punctuation Secrets Manager draws from (the API reference's list).
PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterException", message)


def random_password(params: dict) -> str:
    length = params.get("PasswordLength", 32)
    if not isinstance(length, int) or not 1 <= length <= 4096:
        raise invalid("Password length must be between 1 and 4096.")
    exclude = set(params.get("ExcludeCharacters") or "")
    classes = []
    if not params.get("ExcludeLowercase"):
        classes.append(string.ascii_lowercase)
    if not params.get("ExcludeUppercase"):
        classes.append(string.ascii_uppercase)
    if not params.get("ExcludeNumbers"):
        classes.append(string.digits)
    if not params.get("ExcludePunctuation"):
        classes.append(PUNCTUATION)
    if params.get("IncludeSpace"):
        classes.append(" ")
    classes = ["".join(c for c in cls if c not in exclude) for cls in classes]
    classes = [cls for cls in classes if cls]
    if not classes:
        raise invalid("The password cannot be generated: every character type is excluded.")
    require_each = params.get("RequireEachIncludedType", True)
    if require_each and length < len(classes):
        raise invalid("The password length is too short to include a character from each included type.")
    alphabet = "".join(classes)
    rng = secrets.SystemRandom()
    chars = [rng.choice(cls) for cls in classes] if require_each else []
    chars += [rng.choice(alphabet) for _ in range(length - len(chars))]
    rng.shuffle(chars)
    return "".join(chars)
