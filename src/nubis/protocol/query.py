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


def _leaf(node: dict):
    return node.get(_LEAF)


def _indexed(node: dict) -> list:
    """The children of a node named 1, 2, 3, ... in numeric order."""
    items = [(int(k), v) for k, v in node.items() if k is not None and k.isdigit()]
    items.sort(key=lambda kv: kv[0])
    return [v for _, v in items]


class QueryProtocol(Protocol):
    name = "query"
    writer = XmlWriter("iso8601")
    # EC2 numbers every list's items right under the list's name (Name.1, Name.2).
    lists_always_flat = False

    # -- requests -------------------------------------------------------------

    def parse(self, request, operation, uri_params=None) -> dict:
        shape = operation.input_shape
        if shape is None:
            return {}
        return self._reader(shape)(_tree(request.form))

    def _name(self, shape, default: str) -> str:
        return shape.serialization.get("name", default)

    # Each shape is turned once into a function reading its value from the
    # tree of form keys (see json.JsonCodec for the same idea).

    def _reader(self, shape):
        readers = self.__dict__.setdefault("_readers", {})
        key = (id(shape._shape_resolver), shape.name, shape.type_name,
               tuple(sorted((k, repr(v)) for k, v in shape.serialization.items())))
        hit = readers.get(key)
        if hit is not None:
            return hit[1]
        cell = []
        readers[key] = (shape, lambda node: cell[0](node))
        fn = self._build_reader(shape)
        cell.append(fn)
        readers[key] = (shape, fn)
        return fn

    def _build_reader(self, shape):
        t = shape.type_name
        if t == "structure":
            plan = []
            for key, member in shape.members.items():
                name = self._name(member, key)
                flat_item = None
                if (member.type_name == "list" and member.serialization.get("flattened")
                        and not self.lists_always_flat):
                    item_name = member.member.serialization.get("name")
                    flat_item = self._name(member.member, "") if item_name else name
                    plan.append((key, name, flat_item, self._reader(member.member)))
                else:
                    plan.append((key, name, None, self._reader(member)))

            def read_structure(node):
                result = {}
                get = node.get
                for key, name, flat_item, read in plan:
                    if flat_item is not None:
                        items = get(flat_item)
                        if items is None:
                            own = get(name)
                            if own is not None and own.get(_LEAF) == "":
                                result[key] = []
                            continue
                        result[key] = [read(n) for n in _indexed(items)]
                        continue
                    child = get(name)
                    if child is not None:
                        value = read(child)
                        if value is not None:
                            result[key] = value
                return result
            return read_structure
        if t == "list":
            item_name = shape.member.serialization.get("name", "member")
            read_item = self._reader(shape.member)
            if self.lists_always_flat:
                return lambda node: [read_item(n) for n in _indexed(node)]

            def read_list(node):
                items = node.get(item_name)
                return [] if items is None else [read_item(n) for n in _indexed(items)]
            return read_list
        if t == "map":
            flat = shape.serialization.get("flattened")
            kname = self._name(shape.key, "key")
            vname = self._name(shape.value, "value")
            read_key, read_value = self._reader(shape.key), self._reader(shape.value)

            def read_map(node):
                out = {}
                for entry in _indexed(node if flat else node.get("entry", {})):
                    if kname in entry:
                        out[read_key(entry[kname])] = read_value(entry[vname]) if vname in entry else None
                return out
            return read_map
        if t == "string":
            return _leaf

        def read_scalar(node):
            text = node.get(_LEAF)
            return None if text is None else parse_scalar(shape, text)
        return read_scalar

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
    lists_always_flat = True

    def _name(self, shape, default: str) -> str:
        if "queryName" in shape.serialization:
            return shape.serialization["queryName"]
        if "name" in shape.serialization:
            n = shape.serialization["name"]
            return n[0].upper() + n[1:]
        return default

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

