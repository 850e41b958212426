"""YAML from people's files (plans, configuration) read without letting a small file
cost gigabytes: no anchors or aliases (a 600-byte "billion laughs" expands to billions
of nodes), no nesting deeper than any monev document needs, and no number longer than
a number can sensibly be. Errors carry the line, like PyYAML's own."""

from __future__ import annotations

from typing import Any

import yaml
from yaml.events import AliasEvent, CollectionStartEvent, ScalarEvent

MAX_DEPTH = 20
MAX_SCALAR_DIGITS = 30


class UnsafeYAML(yaml.YAMLError):
    """Refused before it could do harm; ``problem_mark`` says where (as PyYAML's)."""

    def __init__(self, problem: str, mark: Any) -> None:
        super().__init__(problem)
        self.problem, self.problem_mark = problem, mark


class BoundedLoader(yaml.SafeLoader):
    """A SafeLoader that refuses anchors, aliases, deep nesting and huge numbers."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:  # noqa: D102
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, AliasEvent):
            raise UnsafeYAML("alias YAML (*nama) tidak diizinkan; tulis nilainya langsung",
                             event.start_mark)
        if getattr(event, "anchor", None):
            raise UnsafeYAML("anchor YAML (&nama) tidak diizinkan; tulis nilainya langsung",
                             event.start_mark)
        if isinstance(event, ScalarEvent) and len(event.value) > MAX_SCALAR_DIGITS \
                and event.value.strip("+-").replace("_", "").isdigit():
            raise UnsafeYAML(f"angka dengan {len(event.value)} digit tidak masuk akal",
                             event.start_mark)
        if isinstance(event, CollectionStartEvent):
            self._depth += 1
            if self._depth > MAX_DEPTH:
                raise UnsafeYAML(f"bersarang lebih dari {MAX_DEPTH} tingkat", event.start_mark)
            try:
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1
        return super().compose_node(parent, index)


def load(text: str) -> Any:
    """The data of one YAML document (raises ``yaml.YAMLError``)."""
    return yaml.load(text, Loader=BoundedLoader)  # noqa: S506 - BoundedLoader is a SafeLoader


def compose(text: str) -> Any:
    """The node tree of one YAML document, for line numbers (raises ``yaml.YAMLError``)."""
    return yaml.compose(text, Loader=BoundedLoader)
