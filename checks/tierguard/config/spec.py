"""The schema of tierguard.yaml, as one declarative table.

Later features add their sections here (`identities` for RBAC author mapping, `acknowledged`
for review waivers); until they tighten them, those sections are kept as raw located nodes.
"""

from __future__ import annotations

from tierguard.config.schema import Anything, Int, Obj, Prop, Seq, Str
from tierguard.engine.ir import CalicoVersion, Edition
from tierguard.validation.k8s_schema import supported_versions


def _calico_version(text: str) -> str | None:
    try:
        version = CalicoVersion.parse(text)
    except ValueError as error:
        return str(error)
    if version.major != 3:
        return f"Calico version {text} is not a 3.x release"
    return None


def _kubernetes_version(text: str) -> str | None:
    known = supported_versions()
    parts = text.lstrip("v").split(".")
    minor = ".".join(parts[:2])
    if minor not in known:
        return f"Kubernetes version {text} has no bundled schemas (supported: {known[0]} to {known[-1]})"
    return None


_EDITION = Str(choices=tuple(e.value for e in Edition))
_PATH = Str()

ENVIRONMENT = Obj({
    "name": Prop(Str(pattern=r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"), required=True),
    "overlay": Prop(_PATH, required=True),
    "cluster": Prop(Str()),
    "calicoVersion": Prop(Str(check=_calico_version), required=True),
    "edition": Prop(_EDITION),
    "kubernetesVersion": Prop(Str(check=_kubernetes_version)),
    "flows": Prop(Str()),
    "inventory": Prop(_PATH),
    "flux": Prop(_PATH),
    "vars": Prop(_PATH),
})

RAW_SECTIONS = ("identities", "acknowledged")

CONFIG_SCHEMA = Obj({
    "environments": Prop(Seq(ENVIRONMENT, unique_key="name")),
    "defaults": Prop(Obj({
        "calicoVersion": Prop(Str(check=_calico_version)),
        "edition": Prop(_EDITION),
        "kubernetesVersion": Prop(Str(check=_kubernetes_version)),
    })),
    "loader": Prop(Obj({
        "maxBytes": Prop(Int(minimum=1)),
        "maxNodes": Prop(Int(minimum=1)),
    })),
    "validate": Prop(Obj({
        "paths": Prop(Seq(_PATH)),
    })),
    "identities": Prop(Anything()),
    "acknowledged": Prop(Anything()),
})
