"""Parse policy-hit strings of both formats (calico-semantics §6.1) into `PolicyHit`."""

from __future__ import annotations

import re

from tierguard.flows.model import HitAction, HitFormat, HitKind, PolicyHit

PROFILE_TIER = "__PROFILE__"

_KIND_PREFIX = re.compile(r"^(gnp|np|knp|sgnp|snp|sknp|kcnp|pro):(.*)$", re.DOTALL)
_INT = re.compile(r"^-?\d+$")


class HitError(ValueError):
    """A hit string that cannot be parsed; the message says why."""


def parse_hit(text: str) -> PolicyHit:
    """Parse `<index>|<tier>|<name part>|<action>[|<rule index>]`."""
    fields = text.split("|")
    if len(fields) not in (4, 5):
        raise HitError(f"expected 5 '|'-separated fields, found {len(fields)}")
    index_text, tier, name_part, action_text = fields[:4]
    if not _INT.match(index_text) or int(index_text) < 0:
        raise HitError(f"policy index {index_text!r} is not a non-negative integer")
    try:
        action = HitAction(action_text.lower())
    except ValueError:
        raise HitError(f"unknown action {action_text!r} (allow, deny, pass)") from None
    rule_index = _rule_index(fields[4] if len(fields) == 5 else "-")
    if not name_part:
        raise HitError("empty policy name")
    prefixed = _KIND_PREFIX.match(name_part)
    if prefixed:
        kind, namespace, name = _explicit_kind(prefixed.group(1), prefixed.group(2))
        hit_format = HitFormat.EXPLICIT_KIND
    else:
        kind, namespace, name = _legacy(tier, name_part)
        hit_format = HitFormat.LEGACY
    return PolicyHit(index=int(index_text), tier=tier, kind=kind, namespace=namespace, name=name,
                     action=action, rule_index=rule_index, raw=text, format=hit_format)


def _rule_index(text: str) -> int | None:
    if text == "-":
        return None
    if not _INT.match(text) or int(text) < -2:
        raise HitError(f"rule index {text!r} is not an integer >= -2 or '-'")
    return int(text)


def _explicit_kind(prefix: str, rest: str) -> tuple[HitKind, str, str]:
    kind = HitKind(prefix)
    if kind.namespaced:
        namespace, slash, name = rest.partition("/")
        if not slash or not namespace or not name:
            raise HitError(f"{prefix}: needs <namespace>/<name>, got {rest!r}")
        return kind, namespace, name
    if not rest:
        raise HitError(f"{prefix}: has no name")
    return kind, "", rest


def _legacy(tier: str, name_part: str) -> tuple[HitKind, str, str]:
    if name_part.startswith(PROFILE_TIER + "."):
        return HitKind.PROFILE, "", name_part[len(PROFILE_TIER) + 1:]
    for prefix, kind in (("kanp.adminnetworkpolicy.", HitKind.ADMIN_NETWORK_POLICY),
                         ("adminnetworkpolicy.kanp.adminnetworkpolicy.",
                          HitKind.ADMIN_NETWORK_POLICY),
                         ("kbanp.baselineadminnetworkpolicy.",
                          HitKind.BASELINE_ADMIN_NETWORK_POLICY),
                         ("baselineadminnetworkpolicy.kbanp.baselineadminnetworkpolicy.",
                          HitKind.BASELINE_ADMIN_NETWORK_POLICY)):
        if name_part.startswith(prefix):
            return kind, "", name_part[len(prefix):]
    if name_part.startswith("kcnp."):
        return HitKind.CLUSTER_NETWORK_POLICY, "", _strip_tier(tier, name_part[len("kcnp."):])
    namespace, slash, rest = name_part.partition("/")
    if slash:
        if not namespace or not rest:
            raise HitError(f"bad namespaced policy name {name_part!r}")
        kind, name = _namespaced_legacy(tier, rest)
        return kind, namespace, name
    if rest := _staged_name(tier, name_part):
        return HitKind.STAGED_GLOBAL_NETWORK_POLICY, "", rest
    return HitKind.GLOBAL_NETWORK_POLICY, "", _strip_tier(tier, name_part)


def _namespaced_legacy(tier: str, rest: str) -> tuple[HitKind, str]:
    if rest.startswith("knp.default."):
        return HitKind.K8S_NETWORK_POLICY, rest[len("knp.default."):]
    if rest.startswith("staged:knp.default."):
        return HitKind.STAGED_K8S_NETWORK_POLICY, rest[len("staged:knp.default."):]
    if staged := _staged_name(tier, rest):
        return HitKind.STAGED_NETWORK_POLICY, staged
    return HitKind.NETWORK_POLICY, _strip_tier(tier, rest)


def _staged_name(tier: str, text: str) -> str:
    """`<tier>.staged:<name>` (felix) or `staged:<tier>.<name>` (docs variant) -> name, else ""."""
    if text.startswith(f"{tier}.staged:"):
        return text[len(tier) + len(".staged:"):]
    if text.startswith("staged:"):
        return _strip_tier(tier, text[len("staged:"):])
    if ".staged:" in text:  # staged policy of another tier than the hit's tier field
        return text.split(".staged:", 1)[1]
    return ""


def _strip_tier(tier: str, text: str) -> str:
    return text[len(tier) + 1:] if tier and text.startswith(tier + ".") else text


def format_hit_b(hit: PolicyHit) -> str:
    """Render a hit as a Format B string (used for Goldmane/Whisker structures)."""
    rule = "-" if hit.rule_index is None else str(hit.rule_index)
    return f"{hit.index}|{hit.tier}|{hit.qualified_name}|{hit.action.value}|{rule}"
