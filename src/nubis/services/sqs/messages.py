"""A message's content: the allowed characters, message attributes with
their validation, the MD5 digests SDKs verify, and sizes.

The attribute digest follows the SQS developer guide ("Calculating the MD5
message digest for message attributes"): attributes sorted by name, each as
length-prefixed name, length-prefixed data type, a transport byte (1 for
String and Number, 2 for Binary) and the length-prefixed value.
"""
from __future__ import annotations

import hashlib
import re
import struct
from decimal import Decimal, InvalidOperation

from .errors import invalid_message_contents, invalid_parameter_value

# Everything outside #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF.
_INVALID_CHARS = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ATTRIBUTE_NAME = re.compile(r"^[A-Za-z0-9_\-.]{1,256}$")
MAX_ATTRIBUTES = 10

# System attributes a receiver may ask for, and those a sender may set.
RECEIVE_ATTRIBUTES = ("SenderId", "SentTimestamp", "ApproximateReceiveCount",
                      "ApproximateFirstReceiveTimestamp", "SequenceNumber", "MessageDeduplicationId",
                      "MessageGroupId", "AWSTraceHeader", "DeadLetterQueueSourceArn")
SENDER_SYSTEM_ATTRIBUTES = ("AWSTraceHeader",)


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def check_body(body: str) -> None:
    # Plain ASCII text without control characters (the usual body) is valid:
    # told in C string methods, faster than the regex over its characters.
    if body.isascii() and body.replace("\n", "").replace("\t", "").replace("\r", "").isprintable():
        return
    bad = _INVALID_CHARS.search(body)
    if bad is not None:
        raise invalid_message_contents(
            f"Invalid binary character '#x{ord(bad.group()):X}' was found in the message body, the set of "
            "allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF")


def _put(parts: list, data: bytes) -> None:
    parts.append(struct.pack(">I", len(data)))
    parts.append(data)


def md5_of_attributes(attributes: dict) -> str | None:
    if not attributes:
        return None
    parts: list[bytes] = []
    for name in sorted(attributes):
        value = attributes[name]
        data_type = value["DataType"]
        _put(parts, name.encode("utf-8"))
        _put(parts, data_type.encode("utf-8"))
        if data_type.startswith("Binary"):
            parts.append(b"\x02")
            _put(parts, value["BinaryValue"])
        else:
            parts.append(b"\x01")
            _put(parts, value["StringValue"].encode("utf-8"))
    return hashlib.md5(b"".join(parts)).hexdigest()


def check_attributes(attributes: dict | None, kind: str = "user") -> int:
    """Validate message attributes as SQS does; return the bytes they count
    toward the message size (names, types and values)."""
    if not attributes:
        return 0
    if kind == "user" and len(attributes) > MAX_ATTRIBUTES:
        raise invalid_parameter_value(
            f"Number of message attributes [{len(attributes)}] exceeds the allowed maximum [{MAX_ATTRIBUTES}].")
    size = 0
    for name, value in attributes.items():
        if kind == "system" and name not in SENDER_SYSTEM_ATTRIBUTES:
            raise invalid_parameter_value(
                f"Message system attribute name '{name}' is invalid.")
        _check_name(name, kind)
        data_type = (value or {}).get("DataType") or ""
        if not data_type:
            raise invalid_parameter_value(
                f"The message attribute '{name}' must contain non-empty message attribute type.")
        base = data_type.split(".", 1)[0]
        if base not in ("String", "Number", "Binary") or len(data_type) > 256:
            raise invalid_parameter_value(
                f"The type of message ({kind}) attribute '{name}' is invalid. You must use only the "
                "following supported type prefixes: Binary, Number, String.")
        if base == "Binary":
            data = value.get("BinaryValue")
            if not data:
                raise invalid_parameter_value(
                    f"The message attribute '{name}' with type 'Binary' must use field 'Binary'.")
            size += len(data)
        else:
            text = value.get("StringValue")
            if text is None or text == "":
                raise invalid_parameter_value(
                    f"The message attribute '{name}' must contain non-empty message attribute value "
                    f"for message attribute type '{base}'.")
            check_body_chars_in_attribute(name, text)
            if base == "Number":
                _check_number(name, text, kind)
            size += len(text.encode("utf-8"))
        size += len(name.encode("utf-8")) + len(data_type.encode("utf-8"))
    return size


def _check_name(name: str, kind: str) -> None:
    if (not _ATTRIBUTE_NAME.match(name) or name.startswith(".") or name.endswith(".") or ".." in name
            or (kind == "user" and name.lower().startswith(("aws.", "amazon.")))):
        raise invalid_parameter_value(
            f"Message ({kind}) attribute name '{name}' is invalid. The name can contain alphanumeric "
            "characters, hyphens (-), underscores (_), and periods (.), must not start or end with a "
            "period, must not contain two consecutive periods, and must not start with 'AWS.' or 'Amazon.'.")


def check_body_chars_in_attribute(name: str, text: str) -> None:
    bad = _INVALID_CHARS.search(text)
    if bad is not None:
        raise invalid_message_contents(
            f"Invalid binary character '#x{ord(bad.group()):X}' was found in the message attribute "
            f"'{name}', the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to "
            "#xFFFD | #x10000 to #x10FFFF")


def _check_number(name: str, text: str, kind: str) -> None:
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise invalid_parameter_value(f"Can't cast the value of message ({kind}) attribute '{name}' to a number.")
    # Numbers may hold 38 significant digits between 10^-128 and 10^+126.
    digits = number.as_tuple()
    if len(digits.digits) > 38 or (number != 0 and not (-128 <= number.adjusted() <= 126)):
        raise invalid_parameter_value(
            f"Value of message ({kind}) attribute '{name}' is out of range for type 'Number'.")


def select_attributes(attributes: dict, wanted: list[str] | None) -> dict:
    """The message attributes a receive asked for: names, ``All``/``.*``, or ``prefix.*``."""
    if not attributes or not wanted:
        return {}
    if "All" in wanted or ".*" in wanted:
        return attributes
    out = {}
    prefixes = tuple(w[:-1] for w in wanted if w.endswith(".*"))  # "bar.*" -> "bar."
    names = set(wanted)
    for name, value in attributes.items():
        if name in names or (prefixes and name.startswith(prefixes)):
            out[name] = value
    return out
