"""Limits on a YAML (or JSON) input, checked on the parser's event stream before any value
is built.

Building first is what made a 350-byte file with nested anchors (``&a``, ``*a``) grow to
gigabytes, and a 20 MB list take minutes and print millions of problems. The event stream
is read in constant memory per event; this pass counts what the document would expand
to, with aliases counted at the size of what they repeat, and stops at the first limit
crossed. It also maps each key path to its line, so messages can say where a problem is
without building the document a second time. The limits are documented in intake.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from dtia.errors import Problem
from dtia.text import control_problem, quoted

MAX_BYTES = 1024 * 1024  # the intake or answer file itself; attachments are files beside it
MAX_VALUES = 20_000  # keys, values and items, aliases counted at what they repeat
MAX_ITEMS = 1_000  # items of one list, keys of one mapping
MAX_DEPTH = 20  # lists and mappings inside one another
MAX_TEXT = 10_000  # characters of one value
MAX_KEY = 100  # characters of one key
MAX_NUMBER = 20  # characters of one number (counts are at most 10^12)

# The only explicit tag accepted: ``!!str`` quotes a value that would read as a number.
_STR_TAG = "tag:yaml.org,2002:str"
_INT = re.compile(
    r"[-+]?(?:0b[0-1_]+|0[0-7_]+|(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+|[1-9][0-9_]*(?::[0-5]?[0-9])+)"
)


@dataclass
class _Frame:
    path: str
    is_map: bool
    anchor: str | None
    size: int = 1
    items: int = 0
    key: str | None = None  # in a mapping: the key whose value comes next
    too_many: bool = False


@dataclass
class Scan:
    """What the pass found: the line of each key path, and every problem before the first
    limit that stopped it (an empty list: the document may be built)."""

    lines: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


class _Stop(Exception):
    """A limit was crossed: reading further could only cost more."""


def _tag(tag: str) -> str:
    """A tag as it is written: ``!!timestamp`` rather than ``tag:yaml.org,2002:timestamp``."""
    short = tag.removeprefix("tag:yaml.org,2002:")
    return quoted(f"!!{short}" if short != tag else tag)


def _child(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def scan(text: str, loader: type[Any]) -> Scan:
    """Check ``text`` against the limits; ``loader`` is the PyYAML loader class whose parser
    reads it. Syntax errors are raised as ``yaml.YAMLError`` by the parser itself."""
    result = Scan()
    # more characters than the limit allows bytes: too big, without encoding it to count
    if len(text) > MAX_BYTES or len(text.encode("utf-8", errors="replace")) > MAX_BYTES:
        result.problems.append(
            Problem(
                "",
                f"the file is larger than {MAX_BYTES // 2**20} MB; at most "
                f"{MAX_BYTES // 2**20} MB is accepted (documents go in files beside it)",
            )
        )
        return result
    parser = loader(text)
    stack: list[_Frame] = []
    anchors: dict[str, int] = {}
    total = 0

    def problem(path: str, message: str, line: int | None) -> None:
        result.problems.append(Problem(path, message, line))

    def stop(path: str, message: str, line: int | None) -> None:
        problem(path, message, line)
        raise _Stop

    def place(event: Any, line: int) -> str | None:
        """The key path of the node ``event`` starts; None when the node is a mapping key."""
        if not stack:
            return ""
        parent = stack[-1]
        if parent.is_map and parent.key is None:
            return None
        if parent.is_map:
            assert parent.key is not None
            path = _child(parent.path, parent.key)
            parent.key = None
            return path
        path = f"{parent.path}[{parent.items}]"
        parent.items += 1
        if parent.items > MAX_ITEMS and not parent.too_many:
            parent.too_many = True
            problem(
                parent.path, f"has more than {MAX_ITEMS:,} items", result.lines.get(parent.path)
            )
        return path

    def key(event: Any, line: int) -> None:
        parent = stack[-1]
        if not isinstance(event, yaml.ScalarEvent):
            stop(parent.path, "a key must be plain text, not a list, a mapping or an alias", line)
        value: str = event.value
        if event.tag is not None and event.tag != _STR_TAG:
            stop(parent.path, f"the YAML tag {_tag(event.tag)} is not accepted on a key", line)
        if len(value) > MAX_KEY:
            stop(parent.path, f"has a key longer than {MAX_KEY} characters", line)
        bad = control_problem(value, multiline=False)
        if bad is not None:
            stop(parent.path, f"the key {quoted(value)} {bad}", line)
        parent.items += 1
        if parent.items > MAX_ITEMS and not parent.too_many:
            parent.too_many = True
            problem(parent.path, f"has more than {MAX_ITEMS:,} keys", line)
        parent.key = value
        result.lines[_child(parent.path, value)] = line

    try:
        while parser.check_event():
            event = parser.get_event()
            if isinstance(
                event,
                yaml.StreamStartEvent
                | yaml.StreamEndEvent
                | yaml.DocumentStartEvent
                | yaml.DocumentEndEvent,
            ):
                continue
            line = event.start_mark.line + 1
            if isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                done = stack.pop()
                if done.anchor is not None:
                    anchors[done.anchor] = done.size
                if stack:
                    stack[-1].size += done.size
                continue
            # an alias weighs what it repeats (an unknown anchor: the parser refuses it later)
            weight = anchors.get(event.anchor or "", 1) if isinstance(event, yaml.AliasEvent) else 1
            total += weight
            if stack:
                stack[-1].size += weight if not isinstance(event, yaml.CollectionStartEvent) else 0
            path = place(event, line)
            if path is None:
                key(event, line)
                if total > MAX_VALUES:
                    stop(stack[-1].path, f"has more than {MAX_VALUES:,} values", line)
                continue
            result.lines.setdefault(path, line)
            if isinstance(event, yaml.AliasEvent):
                if any(frame.anchor == event.anchor for frame in stack):
                    stop(
                        path, f"the alias *{event.anchor} repeats a list or mapping it is in", line
                    )
                if total > MAX_VALUES:
                    stop(
                        path,
                        f"the alias *{event.anchor} repeats so much that the file would hold "
                        f"more than {MAX_VALUES:,} values; write the values out instead",
                        line,
                    )
                continue
            if total > MAX_VALUES:
                stop(path, f"the file holds more than {MAX_VALUES:,} values", line)
            tag = event.tag
            if tag is not None and tag != _STR_TAG:
                problem(
                    path,
                    f"the YAML tag {_tag(tag)} is not accepted: write the value without it "
                    "(dates as YYYY-MM-DD, numbers as digits)",
                    line,
                )
            if isinstance(event, yaml.CollectionStartEvent):
                if len(stack) >= MAX_DEPTH:
                    stop(path, f"lists and mappings nest deeper than {MAX_DEPTH} levels", line)
                stack.append(_Frame(path, isinstance(event, yaml.MappingStartEvent), event.anchor))
                continue
            value = event.value
            if event.anchor is not None:
                anchors[event.anchor] = 1
            if len(value) > MAX_TEXT:
                problem(
                    path,
                    f"is {len(value):,} characters long; at most {MAX_TEXT:,} are accepted",
                    line,
                )
            elif (
                event.implicit[0]
                and tag is None
                and len(value) > MAX_NUMBER
                and _INT.fullmatch(value)
            ):
                problem(
                    path,
                    f"is a number of {len(value):,} characters; at most {MAX_NUMBER} are accepted",
                    line,
                )
    except _Stop:
        pass
    finally:
        parser.dispose()
    return result
