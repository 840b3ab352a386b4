"""One fixed RunResult every formatter golden is rendered from."""

from __future__ import annotations

from pathlib import Path

import pytest

from tierguard import catalog
from tierguard.diagnostics import Diagnostic, ResourceRef, Severity, Span
from tierguard.report.run import RunResult

DIAGNOSTICS = (
    Diagnostic("YML001", Severity.ERROR, "YAML syntax error: tab character in indentation",
               Span("policies/bad.yaml", 4, 1, 4, 2), hint="YAML forbids tab characters for indentation; use spaces."),
    Diagnostic("CAL212", Severity.ERROR,
               "spec.selector: invalid selector: expected a quoted string, found end of selector at column 24 of "
               "\"app == 'web' && tier ==\"", Span("policies/web app.yaml", 7, 36, 7, 37),
               ResourceRef("NetworkPolicy", "allow-web", "shop"), "spec.selector"),
    Diagnostic("YML011", Severity.ERROR, "variable 'VPC_CIDR' is not set and has no default",
               Span("<kustomize overlays/dev>", 208, 9, 208, 20), data=(("variable", "VPC_CIDR"),)),
    Diagnostic("YML006", Severity.WARNING, "file has no YAML documents: 100% empty, a:b, c\r\nd",
               Span("tiers/empty.yaml", 1, 1, 1, 2)),
    Diagnostic("CAL209", Severity.ERROR, "name needs the 'security.' prefix",
               Span("policies/gnp.yaml", 4, 9, 4, 23), ResourceRef("GlobalNetworkPolicy", "gnp"),
               "metadata.name", data=(("rendered", "<kustomize overlays/dev>:40:9"),)),
    Diagnostic("SCH180", Severity.NOTE, "a finding without a location"),
)


@pytest.fixture()
def run() -> RunResult:
    # Only the codes used, so the goldens do not change whenever a code is added to the catalog.
    codes = {d.code: catalog.get(d.code) for d in DIAGNOSTICS}
    return RunResult(DIAGNOSTICS, Path("/repo"), codes, tool_version="0.1.0",
                     docs_base="https://github.com/example-org/netpol/blob/0123abc/")
