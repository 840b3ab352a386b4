"""Exceptions the CLI turns into exit codes; separate from `main` so command modules can import them."""

from __future__ import annotations


class UsageError(Exception):
    """A bad flag, config or input path: exit 2 with the message."""
