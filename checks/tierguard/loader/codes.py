"""Diagnostic codes of the loader stage (YML0xx)."""

from __future__ import annotations

from tierguard.catalog_types import CodeDoc
from tierguard.diagnostics import Severity

YAML_SYNTAX = "YML001"
YAML_DUPLICATE_KEY = "YML002"
YAML_ALIAS_BOMB = "YML003"
YAML_TOO_LARGE = "YML004"
YAML_NOT_MAPPING = "YML005"
YAML_EMPTY = "YML006"
YAML_NOT_TEXT = "YML007"

CODES: tuple[CodeDoc, ...] = (
    CodeDoc(YAML_SYNTAX, "yaml-syntax", Severity.ERROR,
            "The file is not well-formed YAML.",
            why="Nothing in the file can be checked or applied; kubectl and Flux reject it too.",
            failing="spec:\n\tselector: app == 'web'   # tab indentation",
            passing="spec:\n  selector: app == 'web'"),
    CodeDoc(YAML_DUPLICATE_KEY, "duplicate-key", Severity.ERROR,
            "A mapping repeats a key.",
            why="YAML parsers used by kubectl keep the last value silently, so half of what you wrote is ignored.",
            failing="spec:\n  order: 10\n  order: 20",
            passing="spec:\n  order: 20"),
    CodeDoc(YAML_ALIAS_BOMB, "alias-bomb", Severity.ERROR,
            "A document expands (through anchors and aliases) beyond the node budget.",
            why="Billion-laughs documents exhaust memory in every consumer; the loader refuses them."),
    CodeDoc(YAML_TOO_LARGE, "file-too-large", Severity.ERROR,
            "A YAML source is larger than the configured byte limit.",
            why="Policy repositories hold small manifests; a huge file is a mistake or an attack."),
    CodeDoc(YAML_NOT_MAPPING, "document-not-mapping", Severity.ERROR,
            "A YAML document is a scalar or a list instead of a Kubernetes object.",
            why="Only mappings with apiVersion and kind can be applied.",
            failing="- apiVersion: v1\n  kind: Namespace", passing="apiVersion: v1\nkind: Namespace"),
    CodeDoc(YAML_EMPTY, "empty-file", Severity.WARNING,
            "A YAML file contains no documents.",
            why="An empty file in a kustomization is usually a mistake: something was meant to be there."),
    CodeDoc(YAML_NOT_TEXT, "not-text", Severity.ERROR,
            "A file named as YAML is binary or not UTF-8.",
            why="Kubernetes manifests are UTF-8 text."),
)
