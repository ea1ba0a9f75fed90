"""Tokens of DynamoDB's expression languages, and the syntax error AWS reports at one."""
from __future__ import annotations

import functools
import re
from typing import NamedTuple

from nubis.protocol.errors import ServiceError

# Words the grammars give a meaning; case-insensitive like the rest of the language.
KEYWORDS = {"AND", "OR", "NOT", "BETWEEN", "IN", "SET", "REMOVE", "ADD", "DELETE"}

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<name>\#[A-Za-z0-9_]+)
  | (?P<value>:[A-Za-z0-9_]+)
  | (?P<number>[0-9]+)
  | (?P<ident>[A-Za-z][A-Za-z0-9_]*)      # a name starting with "_" is a syntax error
  | (?P<op><>|<=|>=|[=<>(),.\[\]+\-])
""", re.VERBOSE)


class Token(NamedTuple):
    kind: str       # name, value, number, ident, keyword, op, invalid, eof
    text: str
    start: int
    end: int


def invalid(kind: str, message: str) -> ServiceError:
    """A ValidationException about one expression parameter (``kind`` is its name)."""
    return ServiceError("ValidationException", f"Invalid {kind}: {message}", 400)


@functools.lru_cache(maxsize=1024)
def tokenize(text: str) -> tuple[Token, ...]:
    """The tokens of a text, ending with an eof token; cached, as clients repeat their expressions."""
    tokens: list[Token] = []
    pos = 0
    n = len(text)
    while pos < n:
        m = _TOKEN.match(text, pos)
        if m is None:
            # one character nothing starts with; the parser reports it where it meets it
            tokens.append(Token("invalid", text[pos], pos, pos + 1))
            pos += 1
            continue
        kind = m.lastgroup
        if kind != "space":
            word = m.group()
            if kind == "ident" and word.upper() in KEYWORDS:
                kind = "keyword"
            tokens.append(Token(kind, word, pos, m.end()))
        pos = m.end()
    tokens.append(Token("eof", "<EOF>", n, n))
    return tuple(tokens)


def syntax_error(kind: str, text: str, tokens, index: int) -> ServiceError:
    """AWS's form: the offending token, and the source from the token before it to the one after."""
    token = tokens[index]
    start = tokens[index - 1].start if index > 0 else token.start
    after = tokens[index + 1] if index + 1 < len(tokens) and tokens[index + 1].kind != "eof" else None
    end = after.end if after is not None and token.kind != "eof" else \
        tokens[index - 1].end if token.kind == "eof" and index > 0 else token.end
    return invalid(kind, f'Syntax error; token: "{token.text}", near: "{text[start:end]}"')
