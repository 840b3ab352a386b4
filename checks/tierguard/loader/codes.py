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
YAML_UNREADABLE = "YML008"
YAML_MISSING_TYPE = "YML009"
KUSTOMIZE_FAILED = "YML010"
SUBST_UNSET = "YML011"
SUBST_SYNTAX = "YML012"

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
    CodeDoc(YAML_UNREADABLE, "unreadable-file", Severity.ERROR,
            "A file could not be read (permissions, or it vanished while loading).",
            why="A file that cannot be read is a file that is not checked."),
    CodeDoc(YAML_MISSING_TYPE, "missing-type-fields", Severity.ERROR,
            "An object has no apiVersion or kind, or they are not strings.",
            why="Without apiVersion and kind nothing can apply the object, and no check knows what it is.",
            failing="metadata:\n  name: web", passing="apiVersion: v1\nkind: Namespace\nmetadata:\n  name: web"),
    CodeDoc(KUSTOMIZE_FAILED, "kustomize-build-failed", Severity.ERROR,
            "Rendering an environment's overlay with kustomize failed.",
            why="Flux and Argo CD run the same build; if it fails here, nothing of the environment is applied.",
            references="ecosystem.md section 2.1"),
    CodeDoc(SUBST_UNSET, "unset-variable", Severity.ERROR,
            "A Flux post-build variable ${var} has no value and no default.",
            why="Flux substitutes an empty string (or, with strict substitution, refuses the build); "
                "either way the applied object is not what the file says.",
            failing="nets: [\"${VPC_CIDR}\"]   # VPC_CIDR not in postBuild.substitute",
            passing="nets: [\"${VPC_CIDR:=10.0.0.0/16}\"]",
            references="Flux kustomize-controller: post-build variable substitution"),
    CodeDoc(SUBST_SYNTAX, "bad-variable-expression", Severity.ERROR,
            "A ${...} expression is not one Flux can substitute (bad name, or unterminated).",
            why="flux envsubst --strict fails on it, so the environment does not reconcile.",
            failing="name: ${1abc}", passing="name: ${cluster_name}"),
)
