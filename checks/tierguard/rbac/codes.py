"""Diagnostic codes of the RBAC stage (RBAC4xx): malformed RBAC objects, denied changes, Flux tenants."""

from __future__ import annotations

from tierguard.catalog_types import CodeDoc
from tierguard.diagnostics import Severity

UNKNOWN_VERB = "RBAC401"
MISSING_ROLE = "RBAC402"
BAD_SUBJECT = "RBAC403"
SA_WITHOUT_NAMESPACE = "RBAC404"
MALFORMED_OBJECT = "RBAC405"
INVALID_RULE = "RBAC406"
BAD_ROLE_REF = "RBAC407"
AGGREGATED_RULES_IGNORED = "RBAC408"
INVALID_LABEL_SELECTOR = "RBAC409"
DUPLICATE_OBJECT = "RBAC410"
MISSING_NAMESPACE = "RBAC411"

CHANGE_DENIED = "RBAC420"
CHANGE_TIER_DENIED = "RBAC421"
UNMAPPED_AUTHOR = "RBAC422"

FLUX_APPLY_DENIED = "RBAC430"
FLUX_TIER_ORDER = "RBAC431"
FLUX_TIER_NOT_APPLIED = "RBAC432"
FLUX_UNKNOWN_DEPENDENCY = "RBAC433"

_K8S_RBAC = "Kubernetes RBAC: https://kubernetes.io/docs/reference/access-authn-authz/rbac/"
_CALICO_TIER_RBAC = ("Calico tiered-policy RBAC: https://docs.tigera.io/calico/latest/network-policy/"
                     "policy-tiers/rbac-tiered-policies")

CODES: tuple[CodeDoc, ...] = (
    CodeDoc(UNKNOWN_VERB, "unknown-verb", Severity.WARNING,
            "A rule lists a verb that no Kubernetes API server uses (verbs are case-sensitive).",
            why="Kubernetes accepts any string as a verb, so `gets` or `Create` is stored silently and "
                "then never matches a request: the rule grants less than its author thinks. Rules on "
                "nonResourceURLs are checked against HTTP verbs (get, post, put, patch, delete, head, "
                "options), which is what non-resource requests carry.",
            failing="verbs: [\"Create\", \"gets\"]", passing="verbs: [\"create\", \"get\"]",
            references=_K8S_RBAC),
    CodeDoc(MISSING_ROLE, "binding-to-missing-role", Severity.WARNING,
            "A binding refers to a Role or ClusterRole that is not among the loaded RBAC objects.",
            why="The authorizer skips a binding whose role cannot be found; it grants nothing. Built-in "
                "roles (admin, edit, view, cluster-admin) are not in the repository either: load them "
                "with --rbac if bindings rely on them.",
            failing="roleRef: {kind: ClusterRole, name: tier-edtor, apiGroup: rbac.authorization.k8s.io}",
            passing="roleRef: {kind: ClusterRole, name: tier-editor, apiGroup: rbac.authorization.k8s.io}",
            references=_K8S_RBAC),
    CodeDoc(BAD_SUBJECT, "bad-subject", Severity.ERROR,
            "A binding subject has an unknown kind, an empty name or a wrong apiGroup.",
            why="The API server rejects the binding; the authorizer would never match such a subject.",
            failing="subjects: [{kind: user, name: alice}]",
            passing="subjects: [{kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}]",
            references=_K8S_RBAC),
    CodeDoc(SA_WITHOUT_NAMESPACE, "service-account-without-namespace", Severity.ERROR,
            "A ClusterRoleBinding names a ServiceAccount subject without a namespace.",
            why="In a RoleBinding the namespace defaults to the binding's namespace; in a "
                "ClusterRoleBinding there is nothing to default to, the API server rejects it and the "
                "authorizer never matches it.",
            failing="subjects: [{kind: ServiceAccount, name: flux-tenant}]",
            passing="subjects: [{kind: ServiceAccount, name: flux-tenant, namespace: team-a}]",
            references=_K8S_RBAC),
    CodeDoc(MALFORMED_OBJECT, "malformed-rbac-object", Severity.ERROR,
            "An RBAC object lacks a required field or has a field of the wrong type.",
            why="The API server rejects it; tierguard evaluates what it can and ignores the rest.",
            failing="kind: RoleBinding\nmetadata: {name: x, namespace: a}\nsubjects: []",
            passing="kind: RoleBinding\nmetadata: {name: x, namespace: a}\nroleRef: {...}\nsubjects: [...]",
            references=_K8S_RBAC),
    CodeDoc(INVALID_RULE, "invalid-policy-rule", Severity.ERROR,
            "A policy rule breaks Kubernetes validation: no verbs, no apiGroups/resources, "
            "nonResourceURLs in a Role, or resources mixed with nonResourceURLs.",
            why="The API server rejects the role; tierguard still evaluates the rule as the authorizer "
                "would, so the answer may differ from a cluster where the role never got applied.",
            failing="rules: [{verbs: [get], resources: [pods]}]   # no apiGroups",
            passing="rules: [{verbs: [get], apiGroups: [\"\"], resources: [pods]}]",
            references=_K8S_RBAC),
    CodeDoc(BAD_ROLE_REF, "bad-role-ref", Severity.ERROR,
            "A roleRef has a wrong kind or apiGroup (a ClusterRoleBinding can only refer to a ClusterRole).",
            why="The authorizer finds no rules through such a reference, so the binding grants nothing.",
            failing="kind: ClusterRoleBinding\nroleRef: {kind: Role, name: x}",
            passing="kind: ClusterRoleBinding\nroleRef: {kind: ClusterRole, name: x, "
                    "apiGroup: rbac.authorization.k8s.io}",
            references=_K8S_RBAC),
    CodeDoc(AGGREGATED_RULES_IGNORED, "aggregated-role-rules-ignored", Severity.WARNING,
            "A ClusterRole has an aggregationRule and also lists rules of its own.",
            why="The aggregation controller replaces the rules with the union of the selected roles' "
                "rules; the listed rules disappear on the next sync.",
            references=_K8S_RBAC),
    CodeDoc(INVALID_LABEL_SELECTOR, "invalid-label-selector", Severity.ERROR,
            "A clusterRoleSelector has an unknown operator or values that do not fit the operator.",
            why="The aggregation controller cannot convert the selector and aggregates nothing.",
            failing="matchExpressions: [{key: tier, operator: In, values: []}]",
            passing="matchExpressions: [{key: tier, operator: In, values: [platform]}]",
            references=_K8S_RBAC),
    CodeDoc(DUPLICATE_OBJECT, "duplicate-rbac-object", Severity.WARNING,
            "Two RBAC objects have the same kind, namespace and name.",
            why="Only one of them can exist in the cluster; which one depends on apply order.",
            references=_K8S_RBAC),
    CodeDoc(MISSING_NAMESPACE, "namespaced-rbac-without-namespace", Severity.WARNING,
            "A Role or RoleBinding has no metadata.namespace; tierguard assumes `default`.",
            why="The namespace then comes from whoever applies it (kubectl context, Flux targetNamespace), "
                "so the grant may land somewhere else than intended.",
            references=_K8S_RBAC),
    CodeDoc(CHANGE_DENIED, "change-denied", Severity.ERROR,
            "The author of a change may not make it in the cluster under Kubernetes RBAC.",
            why="In GitOps the controller applies with its own rights; without this check a merge "
                "quietly bypasses the RBAC that would have stopped the author using kubectl.",
            references=_K8S_RBAC),
    CodeDoc(CHANGE_TIER_DENIED, "change-tier-denied", Severity.ERROR,
            "The author of a change to a tiered Calico policy lacks the tier grants "
            "(`get` on the tier, or the verb on tier.<resource> for `<tier>.*` or the policy name).",
            why="Calico authorizes every write of a tiered policy per tier; a tier move needs both tiers.",
            references=_CALICO_TIER_RBAC),
    CodeDoc(UNMAPPED_AUTHOR, "unmapped-author", Severity.ERROR,
            "The Git author (or the path owners) map to no Kubernetes identity.",
            why="Changes cannot be authorized for an unknown identity; add the author or team under "
                "`identities:` in tierguard.yaml.",
            passing="identities:\n  users:\n    alice@example.com: {user: alice, groups: [team-a]}"),
    CodeDoc(FLUX_APPLY_DENIED, "flux-apply-denied", Severity.ERROR,
            "A Flux Kustomization's service account may not server-side apply a resource its path renders.",
            why="Flux impersonates serviceAccountName; the dry-run of the whole set then fails at "
                "reconcile time, after the merge, and nothing in the Kustomization is applied.",
            references="Flux multi-tenancy: https://fluxcd.io/flux/components/kustomize/kustomizations/"
                       "#role-based-access-control; " + _CALICO_TIER_RBAC),
    CodeDoc(FLUX_TIER_ORDER, "flux-tier-not-applied-first", Severity.ERROR,
            "A policy's Tier is applied by a Flux Kustomization that the policy's Kustomization does not "
            "depend on (directly or transitively), or by the same Kustomization.",
            why="Flux dry-runs the whole set before applying; a policy in a Tier that does not exist yet "
                "fails validation. dependsOn is the documented fix.",
            passing="spec:\n  dependsOn: [{name: calico-tiers}]",
            references="kustomize-controller dependsOn: https://fluxcd.io/flux/components/kustomize/"
                       "kustomizations/#dependencies"),
    CodeDoc(FLUX_TIER_NOT_APPLIED, "flux-tier-not-applied", Severity.WARNING,
            "A policy uses a Tier that no Flux Kustomization applies and that is not built in.",
            why="The Tier must then already exist in the cluster, which nothing in Git guarantees."),
    CodeDoc(FLUX_UNKNOWN_DEPENDENCY, "flux-unknown-dependency", Severity.WARNING,
            "A Flux Kustomization's dependsOn names a Kustomization that is not among the inputs.",
            why="Flux waits for it forever; tierguard cannot follow the ordering through it."),
)
