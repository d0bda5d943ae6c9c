"""YAML that remembers where each value came from.

`parse_yaml` returns the plain data plus a map from each path (`("records", 3,
"categories", 0)`) to the 1-based line it starts on, so an error found later, by
pydantic or by cross-reference validation, can name the line. Duplicate keys are
refused: in a policy, a silently overridden promise is a broken one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from trackguard.errors import PolicyError

Path = tuple[str | int, ...]

# libyaml when present: same nodes and marks, several times faster.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_yaml(text: str) -> Any:
    """`yaml.safe_load`, with libyaml when present (labels files load ~10x faster)."""
    return yaml.load(text, Loader=_Loader)


@dataclass(frozen=True)
class Located:
    """Parsed YAML and the line of every mapping key and sequence item."""

    data: Any
    lines: dict[Path, int] = field(default_factory=dict)

    def line_of(self, path: Path) -> int | None:
        """The line of `path`, or of its nearest ancestor present in the file."""
        for end in range(len(path), -1, -1):
            if (line := self.lines.get(tuple(path[:end]))) is not None:
                return line
        return None


def describe(path: Path, data: Any = None) -> str:
    """`("records", 3, "categories")` -> `records[3].categories`, or, given the parsed
    data, `records[customers].categories`: list items are named by their key."""
    out = ""
    node = data
    for part in path:
        if isinstance(part, int):
            item = node[part] if isinstance(node, list) and 0 <= part < len(node) else None
            name = next(
                (
                    item[k]
                    for k in ("key", "table", "record")
                    if isinstance(item, dict) and isinstance(item.get(k), str)
                ),
                part,
            )
            out += f"[{name}]"
            node = item
        else:
            out += f".{part}" if out else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out


def parse_yaml(text: str, *, file: str) -> Located:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise PolicyError("the policy file is empty", file=file, line=1)
        lines: dict[Path, int] = {(): node.start_mark.line + 1}
        _walk(node, (), lines, file)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        reason = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        raise PolicyError(f"YAML syntax error: {reason}", file=file, line=line) from None
    except yaml.YAMLError as exc:
        raise PolicyError(f"YAML error: {exc}", file=file) from None
    finally:
        loader.dispose()
    return Located(data, lines)


def _walk(node: Node, path: Path, lines: dict[Path, int], file: str) -> None:
    if isinstance(node, MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                raise PolicyError(
                    "mapping keys must be plain names",
                    file=file,
                    line=key_node.start_mark.line + 1,
                    field=describe(path),
                )
            key = key_node.value
            if key == "<<":
                raise PolicyError(
                    "YAML merge keys are not allowed in a policy",
                    file=file,
                    line=key_node.start_mark.line + 1,
                    field=describe(path),
                )
            if key in seen:
                raise PolicyError(
                    f"duplicate key '{key}'",
                    file=file,
                    line=key_node.start_mark.line + 1,
                    field=describe((*path, key)),
                )
            seen.add(key)
            lines[(*path, key)] = key_node.start_mark.line + 1
            _walk(value_node, (*path, key), lines, file)
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*path, index)] = item.start_mark.line + 1
            _walk(item, (*path, index), lines, file)
