"""Escaping for untrusted strings (flow-log names, labels, file names) in every review output.

Flow logs are attacker-influenced: a pod name or label can carry `<script>`, `|`, backticks,
`]]`, newlines or terminal escape sequences. Each output context gets its own escaper, and
formatters pass every such string through one of them.
"""

from __future__ import annotations

import re

# Characters that can start Markdown/HTML syntax, end a table cell, close a code fence, mention a
# user (`@`) or link an issue (`#`). They become numeric character references, which GitHub's
# Markdown decodes as plain text in paragraphs, table cells and raw HTML blocks alike.
_MARKDOWN_SPECIAL = frozenset("\\`*_{}[]()<>#+!|~&\"'@$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_XML_INVALID = re.compile(r"[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Mermaid labels: keep a small safe alphabet, encode everything else as Mermaid's `#NNN;`.
_MERMAID_SAFE = re.compile(r"[A-Za-z0-9 ./:=,-]")

DEFAULT_MAX_LABEL = 120


def clip(text: str, limit: int = DEFAULT_MAX_LABEL) -> str:
    """Bound a label's length so one hostile name cannot blow the comment size budget."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 1)] + "…"


def one_line(text: str) -> str:
    """Control characters (newlines, ESC, NUL, ...) become visible `\\xNN` escapes."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def markdown(text: str, limit: int = DEFAULT_MAX_LABEL) -> str:
    """Escape untrusted text for GitHub Markdown, table cells and inline HTML alike."""
    flat = clip(one_line(text), limit)
    return "".join(f"&#{ord(ch)};" if ch in _MARKDOWN_SPECIAL else ch for ch in flat)


def mermaid(text: str, limit: int = 60) -> str:
    """Escape untrusted text for a quoted Mermaid node or edge label (`["..."]`, `|"..."|`)."""
    flat = clip(one_line(text), limit)
    return "".join(ch if _MERMAID_SAFE.fullmatch(ch) else f"#{ord(ch)};" for ch in flat)


def xml_text(text: str) -> str:
    """Drop characters XML 1.0 cannot carry at all; ElementTree escapes the rest (<, &, quotes)."""
    return _XML_INVALID.sub("\ufffd", text)


def terminal(text: str) -> str:
    """Plain text for a terminal: no escape sequences, no line breaks smuggled into one record."""
    return one_line(text)


def annotation_data(text: str) -> str:
    """GitHub workflow-command message data: `%`, CR and LF must be percent-encoded."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def annotation_property(text: str) -> str:
    """GitHub workflow-command property values additionally encode `:` and `,`."""
    return annotation_data(text).replace(":", "%3A").replace(",", "%2C")
