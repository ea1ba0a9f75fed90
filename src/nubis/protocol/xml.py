"""XML as the query, ec2 and rest-xml protocols write and read it."""
from __future__ import annotations

from xml.etree import ElementTree

from .base import bad_request, parse_scalar, scalar_text

# XML 1.0 normalizes CR and CRLF to LF on read, so a literal CR would not
# survive the trip; it is written as a character reference.
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#xD;"})
_ATTR_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\r": "&#xD;",
                               "\n": "&#xA;", "\t": "&#x9;"})


def escape(text: str) -> str:
    return text.translate(_ESCAPES)


def _ns_attr(shape) -> str:
    ns = shape.serialization.get("xmlNamespace")
    if not ns:
        return ""
    if isinstance(ns, dict):
        name = "xmlns:" + ns["prefix"] if ns.get("prefix") else "xmlns"
        return f' {name}="{ns["uri"]}"'
    return f' xmlns="{ns}"'


def element_name(shape, member_name: str) -> str:
    """The element a structure member is written as (a flattened list's items
    take the list member's name when it has one)."""
    if shape.type_name == "list" and shape.serialization.get("flattened"):
        name = shape.member.serialization.get("name")
        if name:
            return name
    return shape.serialization.get("name", member_name)


_BODYLESS = ("header", "headers", "statusCode", "uri", "querystring")


class XmlWriter:
    """Writes values of a shape as elements, the way botocore reads them back."""

    def __init__(self, ts_default: str = "iso8601"):
        self.ts_default = ts_default

    def members(self, shape, value: dict, out: list[str]) -> None:
        for key, member in shape.members.items():
            v = value.get(key)
            if v is None or member.serialization.get("xmlAttribute"):
                continue
            if member.serialization.get("location") in _BODYLESS:
                continue
            self.write(member, v, element_name(member, key), out)

    def attributes(self, shape, value: dict) -> str:
        attrs = []
        for key, member in shape.members.items():
            if member.serialization.get("xmlAttribute") and value.get(key) is not None:
                text = scalar_text(member, value[key], self.ts_default).translate(_ATTR_ESCAPES)
                attrs.append(f' {member.serialization.get("name", key)}="{text}"')
        return "".join(attrs)

    def write(self, shape, value, name: str, out: list[str]) -> None:
        t = shape.type_name
        if t == "structure":
            out.append(f"<{name}{_ns_attr(shape)}{self.attributes(shape, value)}>")
            self.members(shape, value, out)
            out.append(f"</{name}>")
        elif t == "list":
            member = shape.member
            if shape.serialization.get("flattened"):
                for item in value:
                    self.write(member, item, name, out)
            else:
                item_name = member.serialization.get("name", "member")
                out.append(f"<{name}{_ns_attr(shape)}>")
                for item in value:
                    self.write(member, item, item_name, out)
                out.append(f"</{name}>")
        elif t == "map":
            kname = shape.key.serialization.get("name", "key")
            vname = shape.value.serialization.get("name", "value")
            flat = shape.serialization.get("flattened")
            if not flat:
                out.append(f"<{name}{_ns_attr(shape)}>")
            for k, v in value.items():
                out.append(f"<{name}>" if flat else "<entry>")
                self.write(shape.key, k, kname, out)
                self.write(shape.value, v, vname, out)
                out.append(f"</{name}>" if flat else "</entry>")
            if not flat:
                out.append(f"</{name}>")
        else:
            out.append(f"<{name}{_ns_attr(shape)}>{escape(scalar_text(shape, value, self.ts_default))}</{name}>")


# -- reading (rest-xml request bodies) ---------------------------------------

def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_document(body: bytes):
    try:
        return ElementTree.fromstring(body)
    except ElementTree.ParseError as e:
        raise bad_request(
            "The XML you provided was not well-formed or did not validate against our published schema",
            code="MalformedXML") from e


class XmlReader:
    def structure(self, shape, node) -> dict:
        children: dict[str, list] = {}
        for child in node:
            children.setdefault(_local(child.tag), []).append(child)
        result = {}
        for key, member in shape.members.items():
            if member.serialization.get("location") in _BODYLESS:
                continue
            if member.serialization.get("xmlAttribute"):
                want = member.serialization.get("name", key).split(":")[-1]
                for attr, val in node.attrib.items():
                    if _local(attr) == want:
                        result[key] = parse_scalar(member, val)
                continue
            name = member.serialization.get("name", key)
            nodes = children.get(name)
            if nodes is None and member.type_name == "list" and member.serialization.get("flattened"):
                nodes = children.get(member.member.serialization.get("name", ""))
            if nodes is None:
                continue
            if member.type_name in ("list", "map") and member.serialization.get("flattened"):
                result[key] = self.flat(member, nodes)
            else:
                result[key] = self.value(member, nodes[0])
        return result

    def flat(self, shape, nodes) -> list | dict:
        if shape.type_name == "list":
            return [self.value(shape.member, n) for n in nodes]
        return dict(self._entry(shape, n) for n in nodes)

    def _entry(self, shape, node):
        kname = shape.key.serialization.get("name", "key")
        vname = shape.value.serialization.get("name", "value")
        k = v = None
        for child in node:
            tag = _local(child.tag)
            if tag == kname:
                k = self.value(shape.key, child)
            elif tag == vname:
                v = self.value(shape.value, child)
        return k, v

    def value(self, shape, node):
        t = shape.type_name
        if t == "structure":
            return self.structure(shape, node)
        if t == "list":
            return [self.value(shape.member, n) for n in node]
        if t == "map":
            return dict(self._entry(shape, n) for n in node)
        text = node.text or ""
        if t == "string":
            return text
        return parse_scalar(shape, text.strip())
