"""Objects with waiver annotations, loaded with real positions."""

from __future__ import annotations

from tierguard import catalog
from tierguard.loader.resources import ResourceDoc, extract_resources
from tierguard.loader.yaml_source import load_yaml_text
from tierguard.suppress import WaiverParse, waivers_of

FIELD = 'metadata.annotations["tierguard.io/ignore"]'

POLICY = """\
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: security.web
  annotations:
    tierguard.io/ignore: {value}
spec:
  selector: app == 'web'
"""


def resources(text: str, file: str = "policies/web.yaml") -> tuple[ResourceDoc, ...]:
    loaded = load_yaml_text(text, file)
    assert loaded.diagnostics == ()
    return extract_resources(loaded.documents).resources


def parse(value: str) -> WaiverParse:
    """The waivers of POLICY with `value` (YAML source text) as the annotation."""
    return waivers_of(resources(POLICY.format(value=value)), catalog.all_codes())
