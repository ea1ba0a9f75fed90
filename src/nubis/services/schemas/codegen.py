"""Code bindings: the source a schema version's ``GetCodeBindingSource`` answers
with, a zip of generated code in one of the four languages EventBridge offers
(Java8, Python36, TypeScript3, Go1).

The schema's object types become classes (structs in Go): the OpenAPI 3
``components.schemas``, or a JSON Schema's root and ``definitions``, and every
nested object property. Each property becomes a typed field named for its
language, keeping the JSON name for (un)marshalling; a marshaller turns an event
into the classes and back. The zip is a pure function of the schema version and
language (fixed entry times), so fetching it twice gives the same bytes.
"""
from __future__ import annotations

import io
import json
import keyword
import re
import zipfile

LANGUAGES = ("Java8", "Python36", "TypeScript3", "Go1")

_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z]|\d|\b|_|$)|[A-Z]?[a-z]+|[A-Z]+|\d+")
_JAVA_RESERVED = {
    "abstract", "assert", "boolean", "break", "byte", "case", "catch", "char", "class", "const", "continue",
    "default", "do", "double", "else", "enum", "extends", "final", "finally", "float", "for", "goto", "if",
    "implements", "import", "instanceof", "int", "interface", "long", "native", "new", "package", "private",
    "protected", "public", "return", "short", "static", "strictfp", "super", "switch", "synchronized", "this",
    "throw", "throws", "transient", "try", "void", "volatile", "while", "true", "false", "null"}


def _obj(value) -> dict:
    """A JSON object of the schema, or {} where the content has something else."""
    return value if isinstance(value, dict) else {}


def _unique(names: list[str]) -> list[str]:
    """Field names made distinct (two JSON names can map to one identifier)."""
    seen: set = set()
    out = []
    for n in names:
        candidate, i = n, 2
        while candidate in seen:
            candidate, i = f"{n}{i}", i + 1
        seen.add(candidate)
        out.append(candidate)
    return out


def _words(name: str) -> list[str]:
    return _WORDS.findall(name) or ["value"]


def pascal(name: str) -> str:
    out = "".join(w[:1].upper() + w[1:] for w in _words(name))
    return out if not out[0].isdigit() else "T" + out


# Class names that would hide a type the generated code uses (or a Python constant).
_TAKEN = {"String", "Object", "Long", "Double", "Boolean", "Integer", "Date", "List", "Map", "Array", "Marshaller",
          "None", "True", "False", "Dict", "Time", "Json"}


def class_name(name: str) -> str:
    out = pascal(name)
    return out + "Type" if out in _TAKEN else out


def camel(name: str) -> str:
    p = pascal(name)
    out = p[:1].lower() + p[1:]
    return out + "_" if out in _JAVA_RESERVED else out


def snake(name: str) -> str:
    out = "_".join(w.lower() for w in _words(name))
    if out[0].isdigit():
        out = "_" + out
    return out + "_" if keyword.iskeyword(out) or out == "self" else out


# -- the model: classes and their fields, from the schema -------------------------------------------

class Field:
    def __init__(self, json_name: str, kind: tuple):
        self.json_name = json_name
        # ("string" | "integer" | "number" | "boolean" | "datetime" | "any" | "map",)
        # ("class", ClassName) or ("list", kind)
        self.kind = kind


def model(content: str, schema_type: str, schema_name: str) -> tuple[str, dict[str, list[Field]]]:
    """(root class name, {class name: fields}) of a schema version's content."""
    doc = json.loads(content)
    if schema_type == "OpenApi3":
        named = dict(_obj(_obj(doc.get("components")).get("schemas")))
        root = "AWSEvent" if "AWSEvent" in named else next(iter(named), class_name(schema_name))
        if not named:
            named[root] = {"type": "object"}
    else:
        named = {class_name(schema_name.split("@")[-1]): {k: v for k, v in doc.items() if k != "definitions"}}
        root = next(iter(named))
        named.update(_obj(doc.get("definitions")))
    classes: dict[str, list[Field]] = {}
    names = {n: class_name(n) for n in named}

    def kind_of(node, hint: str) -> tuple:
        if not isinstance(node, dict):
            return ("any",)
        ref = node.get("$ref")
        if isinstance(ref, str):
            target = ref.rsplit("/", 1)[-1]
            # A reference to nothing the schema defines is left untyped.
            return ("class", names[target]) if target in names else ("any",)
        t = node.get("type")
        if isinstance(t, list):
            t = next((x for x in t if x != "null"), None)
        if t == "string":
            return ("datetime",) if node.get("format") == "date-time" else ("string",)
        if t in ("integer", "number", "boolean"):
            return (t,)
        if t == "array":
            return ("list", kind_of(node.get("items"), hint + "Item"))
        if t == "object" or "properties" in node:
            if not _obj(node.get("properties")):
                return ("map",)
            name = hint
            n = 2
            while name in classes or name in names.values():
                name, n = f"{hint}{n}", n + 1
            add(name, node)
            return ("class", name)
        return ("any",)

    def add(name: str, node: dict) -> None:
        classes[name] = []  # reserved before its fields, which may name it
        props = _obj(node.get("properties"))
        classes[name] = [Field(k, kind_of(v, class_name(k))) for k, v in props.items() if isinstance(k, str)]

    for original, node in named.items():
        if names[original] not in classes:
            add(names[original], node if isinstance(node, dict) else {})
    return names.get(root, root), classes


def package_of(schema_name: str) -> str:
    return snake(schema_name.replace("@", "."))


# -- the languages -----------------------------------------------------------------------------------

def _header(comment: str, schema: str, version: str) -> str:
    return f"{comment} Generated by nubis from schema {schema}, version {version}. Do not edit.\n"


def _python(root: str, classes: dict, pkg: str, schema: str, version: str) -> dict[str, str]:
    types = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "datetime": "datetime",
             "any": "object", "map": "Dict[str, object]"}

    def t(kind) -> str:
        if kind[0] == "class":
            return kind[1]
        if kind[0] == "list":
            return f"List[{t(kind[1])}]"
        return types[kind[0]]

    base = f"schema/{pkg}"
    files = {}
    for name, fields in classes.items():
        attrs = list(zip(_unique([snake(f.json_name) for f in fields]), fields))
        lines = [_header("#", schema, version), "", f"class {name}(object):",
                 f'    """The {name} object of the schema."""', "",
                 "    # attribute -> JSON key", "    attribute_map = {"]
        lines += [f"        {a!r}: {f.json_name!r}," for a, f in attrs] + ["    }", "",
                                                                              "    # attribute -> type", "    attribute_types = {"]
        lines += [f"        {a!r}: {t(f.kind)!r}," for a, f in attrs] + ["    }", ""]
        args = "".join(f", {a}=None" for a, _ in attrs)
        lines.append(f"    def __init__(self{args}):")
        lines += [f"        self.{a} = {a}" for a, _ in attrs] or ["        pass"]
        lines += ["", "    def __eq__(self, other):",
                  "        return type(self) is type(other) and self.__dict__ == other.__dict__", "",
                  "    def __repr__(self):",
                  f"        return '{name}(' + ', '.join('%s=%r' % kv for kv in sorted(self.__dict__.items())) + ')'",
                  ""]
        files[f"{base}/{name}.py"] = "\n".join(lines)
    files[f"{base}/__init__.py"] = _header("#", schema, version) + "".join(
        f"from .{n} import {n}\n" for n in classes) + "from .marshaller import Marshaller\n" + \
        f"\nROOT = {root!r}\n"
    files[f"{base}/marshaller.py"] = _header("#", schema, version) + _PY_MARSHALLER
    return files


_PY_MARSHALLER = '''import datetime
import importlib
import re

_PRIMITIVES = {"str": str, "int": int, "float": float, "bool": bool}
_ISO = re.compile(r"^(\\d{4})-(\\d{2})-(\\d{2})[T ](\\d{2}):(\\d{2}):(\\d{2})(?:\\.(\\d{1,6})\\d*)?"
                  r"(Z|[+-]\\d{2}:?\\d{2})?$")


def _parse_datetime(text):
    m = _ISO.match(text)
    if m is None:
        raise ValueError("not an ISO 8601 date-time: %r" % text)
    y, mo, d, h, mi, s, frac, zone = m.groups()
    tz = datetime.timezone.utc
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        tz = datetime.timezone(sign * datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    return datetime.datetime(int(y), int(mo), int(d), int(h), int(mi), int(s),
                             int((frac or "0").ljust(6, "0")), tz)


class Marshaller(object):
    """Events (dicts, as json.loads gives them) to this package's classes and back."""

    @classmethod
    def marshall(cls, obj):
        if obj is None:
            return None
        if isinstance(obj, list):
            return [cls.marshall(v) for v in obj]
        if isinstance(obj, dict):
            return dict((k, cls.marshall(v)) for k, v in obj.items())
        if isinstance(obj, datetime.datetime):
            return obj.isoformat().replace("+00:00", "Z")
        if hasattr(obj, "attribute_map"):
            out = {}
            for attr, key in obj.attribute_map.items():
                value = getattr(obj, attr)
                if value is not None:
                    out[key] = cls.marshall(value)
            return out
        return obj

    @classmethod
    def unmarshall(cls, data, typ=None):
        if typ is None:
            typ = importlib.import_module(__package__).ROOT
        if data is None:
            return None
        if typ.startswith("List["):
            return [cls.unmarshall(v, typ[5:-1]) for v in data]
        if typ.startswith("Dict[") or typ == "object":
            return data
        if typ in _PRIMITIVES:
            return _PRIMITIVES[typ](data)
        if typ == "datetime":
            return _parse_datetime(data)
        klass = getattr(importlib.import_module(__package__ + "." + typ), typ)
        kwargs = dict((attr, cls.unmarshall(data.get(key), klass.attribute_types[attr]))
                      for attr, key in klass.attribute_map.items())
        return klass(**kwargs)
'''


def _java(root: str, classes: dict, pkg: str, schema: str, version: str) -> dict[str, str]:
    types = {"string": "String", "integer": "Long", "number": "Double", "boolean": "Boolean",
             "datetime": "java.util.Date", "any": "Object", "map": "java.util.Map<String, Object>"}

    def t(kind) -> str:
        if kind[0] == "class":
            return kind[1]
        if kind[0] == "list":
            return f"java.util.List<{t(kind[1])}>"
        return types[kind[0]]

    base = f"src/main/java/schema/{pkg}"
    files = {}
    for name, fields in classes.items():
        lines = [_header("//", schema, version), f"package schema.{pkg};", "",
                 "import com.fasterxml.jackson.annotation.JsonProperty;", "", f"public class {name} {{"]
        idents = list(zip(_unique([camel(f.json_name) for f in fields]), fields))
        for v, f in idents:
            lines += [f"  @JsonProperty({json.dumps(f.json_name)})", f"  private {t(f.kind)} {v} = null;"]
        for v, f in idents:
            p = v[:1].upper() + v[1:]
            lines += ["", f"  public {t(f.kind)} get{p}() {{", f"    return {v};", "  }", "",
                      f"  public void set{p}({t(f.kind)} {v}) {{", f"    this.{v} = {v};", "  }", "",
                      f"  public {name} with{p}({t(f.kind)} {v}) {{", f"    this.{v} = {v};", "    return this;", "  }"]
        lines += ["}", ""]
        files[f"{base}/{name}.java"] = "\n".join(lines)
    files[f"{base}/marshaller/Marshaller.java"] = _header("//", schema, version) + f"""package schema.{pkg}.marshaller;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import schema.{pkg}.{root};

public class Marshaller {{
  private static final ObjectMapper MAPPER = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  public static <T> void marshal(OutputStream output, T value) throws IOException {{
    MAPPER.writeValue(output, value);
  }}

  public static <T> T unmarshal(InputStream input, Class<T> type) throws IOException {{
    return MAPPER.readValue(input, type);
  }}

  public static {root} unmarshalEvent(InputStream input) throws IOException {{
    return unmarshal(input, {root}.class);
  }}
}}
"""
    return files


def _typescript(root: str, classes: dict, pkg: str, schema: str, version: str) -> dict[str, str]:
    types = {"string": "string", "integer": "number", "number": "number", "boolean": "boolean",
             "datetime": "Date", "any": "any", "map": "{ [key: string]: any }"}

    def t(kind) -> str:
        if kind[0] == "class":
            return kind[1]
        if kind[0] == "list":
            return f"Array<{t(kind[1])}>"
        return types[kind[0]]

    def used(fields) -> set:
        out = set()

        def walk(kind):
            if kind[0] == "class":
                out.add(kind[1])
            elif kind[0] == "list":
                walk(kind[1])
        for f in fields:
            walk(f.kind)
        return out

    base = f"lib/schema/{pkg}"
    files = {}
    for name, fields in classes.items():
        lines = [_header("//", schema, version).rstrip()]
        lines += [f"import {{ {n} }} from './{n}';" for n in sorted(used(fields) - {name})]
        lines += ["", f"export class {name} {{"]
        for f in fields:
            key = f.json_name if re.match(r"^[A-Za-z_$][\w$]*$", f.json_name) else json.dumps(f.json_name)
            lines.append(f"  {key}?: {t(f.kind)};")
        lines += ["}", ""]
        files[f"{base}/{name}.ts"] = "\n".join(lines)
    files[f"{base}/index.ts"] = _header("//", schema, version) + "".join(
        f"export * from './{n}';\n" for n in classes) + "export * from './marshaller/Marshaller';\n"
    files[f"{base}/marshaller/Marshaller.ts"] = _header("//", schema, version) + f"""import {{ {root} }} from '../{root}';

export class Marshaller {{
  static marshal(value: any): string {{
    return JSON.stringify(value);
  }}

  static unmarshal<T>(json: string | object): T {{
    return (typeof json === 'string' ? JSON.parse(json) : json) as T;
  }}

  static unmarshalEvent(json: string | object): {root} {{
    return Marshaller.unmarshal<{root}>(json);
  }}
}}
"""
    return files


def _go(root: str, classes: dict, pkg: str, schema: str, version: str) -> dict[str, str]:
    types = {"string": "string", "integer": "int64", "number": "float64", "boolean": "bool",
             "datetime": "time.Time", "any": "interface{}", "map": "map[string]interface{}"}

    def t(kind) -> str:
        if kind[0] == "class":
            return kind[1]
        if kind[0] == "list":
            return f"[]{t(kind[1])}"
        return types[kind[0]]

    gopkg = pkg.replace("_", "")
    if not gopkg or gopkg[0].isdigit():
        gopkg = "schema" + gopkg
    base = f"schema/{pkg}"
    files = {}
    for name, fields in classes.items():
        body = [f"type {name} struct {{"]
        body += [f"\t{n} {t(f.kind)} `json:{json.dumps(f.json_name + ',omitempty')}`"
                 for n, f in zip(_unique([pascal(f.json_name) for f in fields]), fields)]
        body += ["}", ""]
        text = "\n".join(body)
        imports = '\nimport "time"\n' if "time.Time" in text else ""
        files[f"{base}/{snake(name)}.go"] = f"{_header('//', schema, version)}\npackage {gopkg}\n{imports}\n{text}"
    files[f"{base}/marshaller.go"] = _header("//", schema, version) + f"""
package {gopkg}

import "encoding/json"

// Marshal turns a value of this package into its JSON event.
func Marshal(value interface{{}}) ([]byte, error) {{
\treturn json.Marshal(value)
}}

// UnmarshalEvent reads a JSON event into the schema's root type.
func UnmarshalEvent(data []byte) ({root}, error) {{
\tvar event {root}
\terr := json.Unmarshal(data, &event)
\treturn event, err
}}
"""
    return files


_GENERATORS = {"Python36": _python, "Java8": _java, "TypeScript3": _typescript, "Go1": _go}


def generate(language: str, content: str, schema_type: str, registry: str, schema_name: str,
             version: str) -> bytes:
    """The zip of a schema version's code binding in ``language``."""
    root, classes = model(content, schema_type, schema_name)
    files = _GENERATORS[language](root, classes, package_of(schema_name), f"{registry}/{schema_name}", version)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(files):
            info = zipfile.ZipInfo(path, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, files[path])
    return buf.getvalue()
