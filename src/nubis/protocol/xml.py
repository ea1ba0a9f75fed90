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
    """Writes values of a shape as elements, the way botocore reads them back.

    Each shape is turned once into a function that writes its values (kept
    per shape object for the operations' own shapes, and per service model
    and shape for what they contain), so a response does not walk
    botocore's shape objects.
    """

    def __init__(self, ts_default: str = "iso8601"):
        self.ts_default = ts_default
        self._top: dict[int, tuple] = {}       # id(shape) -> (shape, members function)
        self._built: dict[tuple, tuple] = {}   # shape key -> (shape, value function)
        self._member_fns: dict[tuple, tuple] = {}

    def members(self, shape, value: dict, out: list[str]) -> None:
        hit = self._top.get(id(shape))
        if hit is None or hit[0] is not shape:
            hit = self._top[id(shape)] = (shape, self._members_fn(shape))
        hit[1](value, out)

    def attributes(self, shape, value: dict) -> str:
        attrs = []
        for key, member in shape.members.items():
            if member.serialization.get("xmlAttribute") and value.get(key) is not None:
                text = scalar_text(member, value[key], self.ts_default).translate(_ATTR_ESCAPES)
                attrs.append(f' {member.serialization.get("name", key)}="{text}"')
        return "".join(attrs)

    def write(self, shape, value, name: str, out: list[str]) -> None:
        self._value_fn(shape)(value, name, out)

    # -- building -------------------------------------------------------------------

    @staticmethod
    def _key(shape) -> tuple:
        return (id(shape._shape_resolver), shape.name, shape.type_name,
                tuple(sorted((k, repr(v)) for k, v in shape.serialization.items())))

    def _members_fn(self, shape):
        key = self._key(shape)
        hit = self._member_fns.get(key)
        if hit is not None:
            return hit[1]
        cell = []
        self._member_fns[key] = (shape, lambda value, out: cell[0](value, out))
        plan = [(k, element_name(m, k), self._value_fn(m)) for k, m in shape.members.items()
                if not m.serialization.get("xmlAttribute") and m.serialization.get("location") not in _BODYLESS]

        def write_members(value, out):
            get = value.get
            for k, name, fn in plan:
                v = get(k)
                if v is not None:
                    fn(v, name, out)
        cell.append(write_members)
        self._member_fns[key] = (shape, write_members)
        return write_members

    def _value_fn(self, shape):
        key = self._key(shape)
        hit = self._built.get(key)
        if hit is not None:
            return hit[1]
        # Recursive shapes meet themselves while built: a trampoline stands in.
        cell = []
        self._built[key] = (shape, lambda value, name, out: cell[0](value, name, out))
        fn = self._build(shape)
        cell.append(fn)
        self._built[key] = (shape, fn)
        return fn

    def _build(self, shape):
        t = shape.type_name
        ns = _ns_attr(shape)
        if t == "structure":
            members = self._members_fn(shape)
            with_attributes = any(m.serialization.get("xmlAttribute") for m in shape.members.values())

            def write_structure(value, name, out):
                attrs = self.attributes(shape, value) if with_attributes else ""
                out.append(f"<{name}{ns}{attrs}>")
                members(value, out)
                out.append(f"</{name}>")
            return write_structure
        if t == "list":
            item = self._value_fn(shape.member)
            if shape.serialization.get("flattened"):
                def write_flat_list(value, name, out):
                    for v in value:
                        item(v, name, out)
                return write_flat_list
            item_name = shape.member.serialization.get("name", "member")

            def write_list(value, name, out):
                out.append(f"<{name}{ns}>")
                for v in value:
                    item(v, item_name, out)
                out.append(f"</{name}>")
            return write_list
        if t == "map":
            kname = shape.key.serialization.get("name", "key")
            vname = shape.value.serialization.get("name", "value")
            kfn, vfn = self._value_fn(shape.key), self._value_fn(shape.value)
            if shape.serialization.get("flattened"):
                def write_flat_map(value, name, out):
                    for k, v in value.items():
                        out.append(f"<{name}>")
                        kfn(k, kname, out)
                        vfn(v, vname, out)
                        out.append(f"</{name}>")
                return write_flat_map

            def write_map(value, name, out):
                out.append(f"<{name}{ns}>")
                for k, v in value.items():
                    out.append("<entry>")
                    kfn(k, kname, out)
                    vfn(v, vname, out)
                    out.append("</entry>")
                out.append(f"</{name}>")
            return write_map
        if t == "string":
            def write_string(value, name, out):
                out.append(f"<{name}{ns}>{escape(value if value.__class__ is str else str(value))}</{name}>")
            return write_string
        ts_default = self.ts_default

        def write_scalar(value, name, out):
            out.append(f"<{name}{ns}>{escape(scalar_text(shape, value, ts_default))}</{name}>")
        return write_scalar


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
