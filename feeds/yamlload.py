"""Safe YAML for front matter and config.yaml: the only module that imports PyYAML.

Why not plain ``yaml.safe_load``:
- YAML 1.1 turns ``no`` into False, ``1.10`` into 1.1 and ``2022-03-04`` into a date. Post
  authors mean text, so only ``null`` is resolved implicitly; every other scalar stays the
  text that was written and the stage that reads it decides what it means.
- Duplicate keys are silently merged by PyYAML; here they are an error with a line.
- Aliases can expand a small document into millions of items; a size limit refuses that.
- ``!!python/…`` tags never construct objects (SafeConstructor refuses them).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

try:  # libyaml's scanner and parser, several times faster; same results
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

MAX_NODES = 100_000  # expanded nodes a front matter may hold (aliases counted every time)


@dataclass
class YamlProblem(Exception):
    """A YAML fault with a 1-based line number inside the YAML text."""

    line: int | None
    message: str


_KEPT_RESOLVERS = {"tag:yaml.org,2002:null", "tag:yaml.org,2002:merge"}


class _TextLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """SafeLoader that resolves only null (and merge keys) implicitly and refuses duplicate keys."""

    yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag in _KEPT_RESOLVERS]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            self.flatten_mapping(node)
            seen: set[Any] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                if isinstance(key, (list, dict)):
                    raise YamlProblem(key_node.start_mark.line + 1, "a key must be plain text")
                if key in seen:
                    raise YamlProblem(
                        key_node.start_mark.line + 1,
                        f"duplicate key '{key}'; keep only one",
                    )
                seen.add(key)
        return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return]


def _expanded_size(node: Any, memo: dict[int, int]) -> int:
    """Nodes the document holds once every alias is expanded (memoised per node)."""
    known = memo.get(id(node))
    if known is not None:
        return known
    memo[id(node)] = 1  # a recursive alias counts once instead of looping
    size = 1
    if isinstance(node, yaml.SequenceNode):
        size += sum(_expanded_size(child, memo) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        size += sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    memo[id(node)] = size
    return size


def load_text_yaml(text: str) -> Any:
    """Parse one YAML document whose scalars stay text (null aside).

    Raises YamlProblem with the line (1-based, within ``text``) of the fault.
    """
    loader = _TextLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node, {}) > MAX_NODES:
            raise YamlProblem(
                node.start_mark.line + 1,
                f"the YAML expands to more than {MAX_NODES:,} items (aliases); "
                "write the values out or remove the aliases",
            )
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = " ".join(part for part in (exc.context, exc.problem) if part)
        raise YamlProblem(line, f"YAML: {what}") from None
    except yaml.YAMLError as exc:
        raise YamlProblem(None, f"YAML: {exc}") from None
    except RecursionError:
        raise YamlProblem(None, "YAML nests too deeply") from None
    finally:
        loader.dispose()
