"""Helpers for compiler tests: YAML text -> typed models -> PolicySet."""

from __future__ import annotations

import textwrap

from tierguard.diagnostics import Diagnostic
from tierguard.engine.compile import compile_policy_set
from tierguard.engine.ir import CalicoVersion, CompiledPolicy, Edition, PolicySet
from tierguard.loader.nodes import LMap
from tierguard.loader.yaml_source import load_yaml_text
from tierguard.model.build import Resource, build_resource
from tierguard.selector import parse


def models(text: str) -> list[Resource]:
    result = load_yaml_text(textwrap.dedent(text), "policy.yaml")
    assert result.diagnostics == ()
    found: list[Resource] = []
    for document in result.documents:
        assert isinstance(document.root, LMap)
        model, diagnostics = build_resource(document.root)
        assert diagnostics == [], diagnostics
        assert model is not None
        found.append(model)
    return found


def compile_text(text: str, version: str = "3.32", edition: Edition = Edition.OSS
                 ) -> tuple[PolicySet, list[Diagnostic]]:
    return compile_policy_set(models(text), CalicoVersion.parse(version), edition)


def only_policy(text: str, version: str = "3.32", edition: Edition = Edition.OSS) -> CompiledPolicy:
    policy_set, diagnostics = compile_text(text, version, edition)
    assert diagnostics == [], diagnostics
    assert len(policy_set.policies) == 1
    return policy_set.policies[0]


def canonical(text: str) -> str:
    """The canonical form of a selector written the way the spec writes it."""
    return str(parse(text))
