"""Repository data (JSON manifests, YAML front matter) parsed into plain, bounded values.

Whatever a repository holds, what comes out is JSON data — ``str``, ``int``, ``float``,
``bool``, ``None``, ``list`` and ``dict`` with string keys — nested at most
``Limits.max_nesting`` deep, with integers of at most ``Limits.max_int_digits`` digits,
finite floats and strings that encode as UTF-8. Anything else is a :class:`DataError`
carrying a message and a line, which callers turn into a finding. Nothing else escapes:
not ``ValueError`` from a 5,000-digit integer or an impossible date, not
``RecursionError`` from deep nesting, and YAML aliases are refused outright (``x: &a [*a]``
is a cycle; a few hundred bytes of nested aliases expand to gigabytes).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from .limits import DEFAULT_LIMITS, Limits

try:  # The C parser is ~10x faster; fall back to pure Python where libyaml is missing.
    _YamlLoader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[attr-defined]
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _YamlLoader = yaml.SafeLoader

_SURROGATE = re.compile(r"[\ud800-\udfff]")
_TAG = "tag:yaml.org,2002:"
_RESOLVER = Resolver()
_CONSTRUCTOR = SafeConstructor()


class DataError(ValueError):
    """Repository data that is not plain, bounded JSON data. ``line`` is 1-based in the
    parsed text, or ``None``."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


# -- JSON ------------------------------------------------------------------------------------


def parse_json(
    raw: bytes, limits: Limits = DEFAULT_LIMITS, max_bytes: int | None = None
) -> tuple[Any, str]:
    """Decode and parse a JSON file of at most ``max_bytes`` (a manifest's limit unless
    told); returns the value and the text. Raises only DataError."""
    limit = limits.max_manifest_bytes if max_bytes is None else max_bytes
    if len(raw) > limit:
        raise DataError(f"is {len(raw)} bytes; the limit is {limit}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataError("is not valid UTF-8") from None

    def integer(digits: str) -> int:
        if len(digits.lstrip("-")) > limits.max_int_digits:
            raise DataError(f"has an integer longer than {limits.max_int_digits} digits")
        return int(digits)

    def number(digits: str) -> float:
        value = float(digits)
        if not math.isfinite(value):
            raise DataError(f"has a number too large to represent: {digits[:40]}")
        return value

    def constant(word: str) -> Any:
        raise DataError(f"has {word}, which is not JSON")

    try:
        value = json.loads(text, parse_int=integer, parse_float=number, parse_constant=constant)
    except json.JSONDecodeError as exc:
        raise DataError(f"is not valid JSON: {exc.msg} (column {exc.colno})", exc.lineno) from None
    except RecursionError:
        raise DataError(f"nests deeper than {limits.max_nesting} levels") from None
    check_plain(value, limits)
    return value, text


def check_plain(value: Any, limits: Limits = DEFAULT_LIMITS) -> None:
    """Check nesting depth and strings of parsed data, without recursion."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                raise DataError("has a string that is not valid Unicode (a lone surrogate)")
        elif isinstance(item, dict | list):
            if depth > limits.max_nesting:
                raise DataError(f"nests deeper than {limits.max_nesting} levels")
            if isinstance(item, dict):
                stack.extend((k, depth) for k in item)
                stack.extend((v, depth + 1) for v in item.values())
            else:
                stack.extend((v, depth + 1) for v in item)


# -- YAML ------------------------------------------------------------------------------------


class _Builder:
    """Builds plain values from a YAML event stream: no recursion, no aliases, a budget."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.nodes = 0
        self.stack: list[tuple[dict[str, Any] | list[Any], list[Any]]] = []  # (container, key)
        self.root: Any = None
        self.done = False
        self.warnings: list[tuple[int, str]] = []

    def count(self, event: Any) -> None:
        self.nodes += 1
        if self.nodes > self.limits.max_yaml_nodes:
            raise DataError(f"has more than {self.limits.max_yaml_nodes} values", _line(event))

    def add(self, value: Any, event: Any) -> None:
        if not self.stack:
            self.root, self.done = value, True
            return
        container, key = self.stack[-1]
        if isinstance(container, list):
            container.append(value)
        elif not key:
            if isinstance(value, dict | list):
                raise DataError("uses a list or a map as a key", _line(event))
            key.append(str(value))
        else:
            container[key.pop()] = value

    def event(self, event: Any) -> None:
        if isinstance(event, yaml.AliasEvent):
            raise DataError(
                f"uses the YAML alias *{event.anchor}; write the value out instead", _line(event)
            )
        if isinstance(event, yaml.ScalarEvent):
            self.count(event)
            self.add(self.scalar(event), event)
        elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            self.count(event)
            is_map = isinstance(event, yaml.MappingStartEvent)
            if event.tag not in (None, "!", _TAG + ("map" if is_map else "seq")):
                raise DataError(_tag_message(event.tag), _line(event))
            if len(self.stack) >= self.limits.max_nesting:
                raise DataError(f"nests deeper than {self.limits.max_nesting} levels", _line(event))
            self.stack.append(({} if is_map else [], []))
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            container, _ = self.stack.pop()
            self.add(container, event)
        elif isinstance(event, yaml.DocumentStartEvent) and self.done:
            raise DataError("holds more than one YAML document", _line(event))

    def scalar(self, event: Any) -> Any:
        value: str = event.value
        if _SURROGATE.search(value):
            raise DataError("has a string that is not valid Unicode", _line(event))
        tag = event.tag
        if tag is None or tag == "!":
            tag = _RESOLVER.resolve(yaml.ScalarNode, value, event.implicit)
        kind = tag[len(_TAG) :] if tag.startswith(_TAG) else None
        if kind in ("str", "merge", "value"):
            return value
        if kind == "null":
            return None
        if kind == "bool":
            return _CONSTRUCTOR.bool_values[value.lower()]
        if kind == "int":
            # Length, not digits: hex digits and sexagesimal parts (1:2:3) grow it too.
            if len(value.replace("_", "")) > self.limits.max_int_digits + 3:
                raise DataError(
                    f"has an integer longer than {self.limits.max_int_digits} digits",
                    _line(event),
                )
            return self.construct(_CONSTRUCTOR.construct_yaml_int, tag, event)
        if kind == "float":
            number = self.construct(_CONSTRUCTOR.construct_yaml_float, tag, event)
            return number if math.isfinite(number) else value
        if kind == "timestamp":
            try:
                _CONSTRUCTOR.construct_yaml_timestamp(yaml.ScalarNode(tag, value))
            except (ValueError, OverflowError, TypeError):
                self.warnings.append((_line(event), f"{value!r} is not a valid date; kept as text"))
            return value  # dates stay text: JSON has no date type
        raise DataError(_tag_message(event.tag), _line(event))

    @staticmethod
    def construct(how: Any, tag: str, event: Any) -> Any:
        try:
            return how(yaml.ScalarNode(tag, event.value))
        except (ValueError, OverflowError, TypeError):
            raise DataError(f"has a number YAML cannot read: {event.value[:40]!r}") from None


def load_yaml(text: str, limits: Limits = DEFAULT_LIMITS) -> tuple[Any, list[tuple[int, str]]]:
    """Parse one YAML document into plain values, with (line, message) warnings.

    Raises ``yaml.YAMLError`` for what is not YAML and :class:`DataError` for YAML that is
    not plain, bounded data; lines are 1-based in ``text``.
    """
    if len(text) > limits.max_skill_md_bytes:
        raise DataError(f"is longer than {limits.max_skill_md_bytes} characters")
    builder = _Builder(limits)
    for event in yaml.parse(text, Loader=_YamlLoader):
        builder.event(event)
    return builder.root, builder.warnings


def _line(event: Any) -> int:
    mark = getattr(event, "start_mark", None)
    return mark.line + 1 if mark is not None else 1


def _tag_message(tag: object) -> str:
    return f"uses the YAML tag {tag!s:.60}; only plain values, lists and maps are allowed"
