"""The query and ec2 protocols: form-encoded requests, XML responses."""
from __future__ import annotations

from .base import Protocol, modeled_error, parse_scalar
from .wire import HttpResponse
from .xml import XmlWriter, escape

_LEAF = None  # key under which a tree node keeps its own value


def _tree(pairs) -> dict:
    """``A.B.1.C=v`` pairs as a nested dict, so shapes can walk it."""
    root: dict = {}
    for key, value in pairs:
        node = root
        for part in key.split("."):
            node = node.setdefault(part, {})
        node[_LEAF] = value
    return root


def _indexed(node: dict) -> list:
    """The children of a node named 1, 2, 3, ... in numeric order."""
    items = [(int(k), v) for k, v in node.items() if k is not None and k.isdigit()]
    items.sort(key=lambda kv: kv[0])
    return [v for _, v in items]


class QueryProtocol(Protocol):
    name = "query"
    writer = XmlWriter("iso8601")

    # -- requests -------------------------------------------------------------

    def parse(self, request, operation, uri_params=None) -> dict:
        shape = operation.input_shape
        if shape is None:
            return {}
        tree = _tree(request.form)
        return self._structure(shape, tree)

    def _name(self, shape, default: str) -> str:
        return shape.serialization.get("name", default)

    def _structure(self, shape, node: dict) -> dict:
        result = {}
        for key, member in shape.members.items():
            name = self._name(member, key)
            value = self._member(member, node, name)
            if value is not None:
                result[key] = value
        return result

    def _member(self, shape, parent: dict, name: str):
        t = shape.type_name
        if t == "list" and shape.serialization.get("flattened"):
            item_name = shape.member.serialization.get("name")
            node = parent.get(self._name(shape.member, "") if item_name else name)
            own = parent.get(name)
            if node is None:
                return [] if own is not None and own.get(_LEAF) == "" else None
            return [self._value(shape.member, n) for n in _indexed(node)]
        node = parent.get(name)
        if node is None:
            return None
        return self._value(shape, node)

    def _value(self, shape, node: dict):
        t = shape.type_name
        if t == "structure":
            return self._structure(shape, node)
        if t == "list":
            items = node.get(shape.member.serialization.get("name", "member"))
            if items is None:
                return []
            return [self._value(shape.member, n) for n in _indexed(items)]
        if t == "map":
            entries = node if shape.serialization.get("flattened") else node.get("entry", {})
            kname = self._name(shape.key, "key")
            vname = self._name(shape.value, "value")
            out = {}
            for entry in _indexed(entries):
                if kname in entry:
                    k = self._value(shape.key, entry[kname])
                    out[k] = self._value(shape.value, entry[vname]) if vname in entry else None
            return out
        text = node.get(_LEAF)
        if text is None:
            return None
        return parse_scalar(shape, text)

    # -- responses ------------------------------------------------------------

    def _namespace(self, operation) -> str:
        return operation.metadata.get("xmlNamespace", "")

    def serialize(self, operation, output, request_id) -> HttpResponse:
        name = operation.name
        out = [f'<?xml version="1.0" encoding="UTF-8"?>\n<{name}Response xmlns="{self._namespace(operation)}">']
        shape = operation.output_shape
        if shape is not None:
            wrapper = shape.serialization.get("resultWrapper")
            if wrapper:
                out.append(f"<{wrapper}>")
            self.writer.members(shape, output or {}, out)
            if wrapper:
                out.append(f"</{wrapper}>")
        out.append(f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{name}Response>")
        return HttpResponse(200, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)],
                            "".join(out).encode("utf-8"))

    def _error_members(self, service, error) -> str:
        """Members of a modeled error shape beyond Code and Message."""
        if not error.fields:
            return ""
        shape = modeled_error(service, error.code)
        if shape is None:
            return ""
        out: list[str] = []
        self.writer.members(shape, {k: v for k, v in error.fields.items() if k not in ("Code", "Message")}, out)
        return "".join(out)

    def serialize_error(self, service, operation, error, request_id) -> HttpResponse:
        kind = "Sender" if error.sender_fault else "Receiver"
        ns = service.metadata.get("xmlNamespace", "") if service else ""
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="{ns}"><Error><Type>{kind}</Type>'
                f"<Code>{escape(error.code)}</Code><Message>{escape(error.message)}</Message>"
                f"{self._error_members(service, error)}</Error><RequestId>{request_id}</RequestId></ErrorResponse>")
        return HttpResponse(error.status, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)]
                            + error.headers, body.encode("utf-8"))


class Ec2Protocol(QueryProtocol):
    """EC2's dialect: capitalized ``queryName``s, lists always numbered flat,
    ``requestId`` in the body root and its own error envelope."""

    name = "ec2"

    def _name(self, shape, default: str) -> str:
        if "queryName" in shape.serialization:
            return shape.serialization["queryName"]
        if "name" in shape.serialization:
            n = shape.serialization["name"]
            return n[0].upper() + n[1:]
        return default

    def _member(self, shape, parent, name):
        node = parent.get(name)
        if node is None:
            return None
        return self._value(shape, node)

    def _value(self, shape, node):
        if shape.type_name == "list":
            return [self._value(shape.member, n) for n in _indexed(node)]
        return super()._value(shape, node)

    def _namespace(self, operation) -> str:
        return f"http://ec2.amazonaws.com/doc/{operation.metadata.get('apiVersion', '')}/"

    def serialize(self, operation, output, request_id) -> HttpResponse:
        name = operation.name
        out = [f'<?xml version="1.0" encoding="UTF-8"?>\n<{name}Response xmlns="{self._namespace(operation)}">'
               f"<requestId>{request_id}</requestId>"]
        if operation.output_shape is not None:
            self.writer.members(operation.output_shape, output or {}, out)
        out.append(f"</{name}Response>")
        return HttpResponse(200, [("Content-Type", "text/xml;charset=UTF-8")], "".join(out).encode("utf-8"))

    def serialize_error(self, service, operation, error, request_id) -> HttpResponse:
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
                f"<Code>{escape(error.code)}</Code><Message>{escape(error.message)}</Message>"
                f"{self._error_members(service, error)}</Error></Errors><RequestID>{request_id}</RequestID></Response>")
        return HttpResponse(error.status, [("Content-Type", "text/xml;charset=UTF-8")] + error.headers,
                            body.encode("utf-8"))

