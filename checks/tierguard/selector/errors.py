"""Errors raised by the selector package."""

from __future__ import annotations


class SelectorError(ValueError):
    """A selector string that Calico would reject.

    `column` is the 0-based offset (in characters) inside the selector string where the problem
    was found; it equals `len(text)` when the selector ends too early. `reason` is a short
    human-readable phrase. `str(error)` adds the 1-based column, like every `Span` in tierguard.
    """

    def __init__(self, reason: str, column: int, text: str = "") -> None:
        super().__init__(f"{reason} (column {column + 1})")
        self.reason = reason
        self.column = column
        self.text = text


class LabelSelectorError(ValueError):
    """A Kubernetes LabelSelector that cannot be converted to a Calico selector."""

    def __init__(self, reason: str, field_path: str = "") -> None:
        super().__init__(f"{field_path}: {reason}" if field_path else reason)
        self.reason = reason
        self.field_path = field_path
