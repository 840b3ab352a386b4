"""Effective endpoint labels, exactly as Calico derives them (calico-semantics §1.6–§1.8, §4.4)."""

from __future__ import annotations

from collections.abc import Mapping

NAMESPACE_LABEL = "projectcalico.org/namespace"
ORCHESTRATOR_LABEL = "projectcalico.org/orchestrator"
SERVICE_ACCOUNT_LABEL = "projectcalico.org/serviceaccount"
NAME_LABEL = "projectcalico.org/name"
KIND_LABEL = "projectcalico.org/kind"
NAMESPACE_PREFIX = "pcns."
SERVICE_ACCOUNT_PREFIX = "pcsa."
# Calico adds the serviceaccount label only for names shorter than a label value may be.
_MAX_LABEL_VALUE = 63


def namespace_profile_labels(namespace: str, namespace_labels: Mapping[str, str]) -> dict[str, str]:
    """labelsToApply of profile kns.<ns>: pcns.<k> for every namespace label, plus the name."""
    labels = {NAMESPACE_PREFIX + key: value for key, value in namespace_labels.items()}
    labels[NAMESPACE_PREFIX + NAME_LABEL] = namespace
    return labels


def service_account_profile_labels(service_account: str, account_labels: Mapping[str, str]) -> dict[str, str]:
    """labelsToApply of profile ksa.<ns>.<sa>: pcsa.<k> for every SA label, plus the name."""
    labels = {SERVICE_ACCOUNT_PREFIX + key: value for key, value in account_labels.items()}
    labels[SERVICE_ACCOUNT_PREFIX + NAME_LABEL] = service_account
    return labels


def _inherit(own: Mapping[str, str], *parents: Mapping[str, str]) -> dict[str, str]:
    """Own labels win on collision; then parents in profile order, earlier parents win."""
    effective = dict(own)
    for parent in parents:
        for key, value in parent.items():
            effective.setdefault(key, value)
    return effective


def pod_own_labels(pod_labels: Mapping[str, str], namespace: str, service_account: str) -> dict[str, str]:
    """WorkloadEndpoint own labels: pod labels plus the projectcalico.org/* ones (these overwrite)."""
    labels = dict(pod_labels)
    labels[NAMESPACE_LABEL] = namespace
    labels[ORCHESTRATOR_LABEL] = "k8s"
    if service_account and len(service_account) < _MAX_LABEL_VALUE:
        labels[SERVICE_ACCOUNT_LABEL] = service_account
    return labels


def pod_profiles(namespace: str, service_account: str) -> tuple[str, ...]:
    if service_account:
        return (f"kns.{namespace}", f"ksa.{namespace}.{service_account}")
    return (f"kns.{namespace}",)


def pod_effective_labels(pod_labels: Mapping[str, str], namespace: str, namespace_labels: Mapping[str, str],
                         service_account: str, account_labels: Mapping[str, str]) -> dict[str, str]:
    own = pod_own_labels(pod_labels, namespace, service_account)
    parents = [namespace_profile_labels(namespace, namespace_labels)]
    if service_account:
        parents.append(service_account_profile_labels(service_account, account_labels))
    return _inherit(own, *parents)


def network_set_labels(own_labels: Mapping[str, str], name: str, namespace: str,
                       namespace_labels: Mapping[str, str], *, global_set: bool,
                       enterprise_labels: bool) -> dict[str, str]:
    """(Global)NetworkSet labels. Enterprise also injects kind and name (§1.6).

    The kind value is "NetworkSet" for both kinds: Enterprise's AddKindandNameLabels writes the
    same kind into GlobalNetworkSets, which is why its recommendations select them with
    `projectcalico.org/kind == 'NetworkSet'` plus `namespaceSelector: global()` (§1.6, §8).
    """
    own = dict(own_labels)
    if enterprise_labels:
        own[KIND_LABEL] = "NetworkSet"
        own[NAME_LABEL] = name[:_MAX_LABEL_VALUE]
    if global_set:
        return own
    own[NAMESPACE_LABEL] = namespace
    return _inherit(own, namespace_profile_labels(namespace, namespace_labels))


def host_endpoint_labels(own_labels: Mapping[str, str]) -> dict[str, str]:
    """HostEndpoints carry exactly their own labels (profiles listed in spec.profiles add none here)."""
    return dict(own_labels)
