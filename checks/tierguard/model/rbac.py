"""Typed Kubernetes RBAC objects (Role, ClusterRole, RoleBinding, ClusterRoleBinding) built from
located YAML nodes, with a diagnostic (and field path) for everything Kubernetes would reject.

Validation follows `k8s.io/kubernetes/pkg/apis/rbac/validation`: problems are reported, but the
object is still kept as far as it could be read, because the authorizer evaluates whatever it is
given (its own tests feed it objects that never went through validation).
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from tierguard.diagnostics import Diagnostic, ResourceRef, Severity, Span
from tierguard.loader.nodes import Document, LMap, LScalar, LSeq, Node
from tierguard.rbac import codes

RBAC_GROUP = "rbac.authorization.k8s.io"
KNOWN_VERBS = frozenset({
    "get", "list", "watch", "create", "update", "patch", "delete", "deletecollection",
    "proxy", "impersonate", "bind", "escalate", "use", "approve", "sign", "attest", "*",
})
# Non-resource requests carry the lower-cased HTTP method as their verb (RequestInfoFactory),
# so `post` or `head` in a nonResourceURLs rule is meaningful (kubectl's nonResourceURLVerbs).
NON_RESOURCE_VERBS = frozenset({"get", "put", "post", "head", "options", "delete", "patch", "*"})


class RoleKind(enum.Enum):
    ROLE = "Role"
    CLUSTER_ROLE = "ClusterRole"


class BindingKind(enum.Enum):
    ROLE_BINDING = "RoleBinding"
    CLUSTER_ROLE_BINDING = "ClusterRoleBinding"


class SubjectKind(enum.Enum):
    USER = "User"
    GROUP = "Group"
    SERVICE_ACCOUNT = "ServiceAccount"
    INVALID = "<invalid>"


class SelectorOperator(enum.Enum):
    IN = "In"
    NOT_IN = "NotIn"
    EXISTS = "Exists"
    DOES_NOT_EXIST = "DoesNotExist"


@dataclass(frozen=True, slots=True)
class LabelRequirement:
    """One matchExpressions entry."""

    key: str
    operator: SelectorOperator
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        if self.operator is SelectorOperator.EXISTS:
            return self.key in labels
        if self.operator is SelectorOperator.DOES_NOT_EXIST:
            return self.key not in labels
        if self.operator is SelectorOperator.IN:
            return self.key in labels and labels[self.key] in self.values
        return self.key not in labels or labels[self.key] not in self.values


@dataclass(frozen=True, slots=True)
class LabelSelector:
    """A metav1.LabelSelector; `valid=False` selects nothing (the controller cannot convert it)."""

    match_labels: tuple[tuple[str, str], ...] = ()
    match_expressions: tuple[LabelRequirement, ...] = ()
    valid: bool = True

    def matches(self, labels: Mapping[str, str]) -> bool:
        if not self.valid:
            return False
        return (all(labels.get(k) == v for k, v in self.match_labels)
                and all(req.matches(labels) for req in self.match_expressions))


@dataclass(frozen=True, slots=True)
class PolicyRule:
    verbs: tuple[str, ...] = ()
    api_groups: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    resource_names: tuple[str, ...] = ()
    non_resource_urls: tuple[str, ...] = ()
    span: Span | None = None
    field_path: str = ""


@dataclass(frozen=True, slots=True)
class Role:
    """A Role (namespace set) or ClusterRole (namespace empty)."""

    kind: RoleKind
    name: str
    namespace: str = ""
    rules: tuple[PolicyRule, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    aggregation: tuple[LabelSelector, ...] | None = None
    span: Span | None = None

    @property
    def label_map(self) -> dict[str, str]:
        return dict(self.labels)

    @property
    def ref(self) -> ResourceRef:
        return ResourceRef(self.kind.value, self.name, self.namespace)


@dataclass(frozen=True, slots=True)
class Subject:
    kind: SubjectKind
    name: str
    namespace: str = ""
    api_group: str = ""
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class RoleRef:
    kind: str
    name: str
    api_group: str = RBAC_GROUP
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class Binding:
    """A RoleBinding (namespace set) or ClusterRoleBinding (namespace empty)."""

    kind: BindingKind
    name: str
    role_ref: RoleRef
    subjects: tuple[Subject, ...] = ()
    namespace: str = ""
    span: Span | None = None

    @property
    def ref(self) -> ResourceRef:
        return ResourceRef(self.kind.value, self.name, self.namespace)


@dataclass(frozen=True, slots=True)
class RbacSet:
    roles: tuple[Role, ...] = ()
    bindings: tuple[Binding, ...] = ()


@dataclass(slots=True)
class _Reader:
    """Collects diagnostics while reading one object; `ref` locates them."""

    ref: ResourceRef
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def report(self, code: str, severity: Severity, message: str, span: Span | None,
               path: str, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(code, severity, message, span, self.ref, path, hint))

    def malformed(self, message: str, span: Span | None, path: str) -> None:
        self.report(codes.MALFORMED_OBJECT, Severity.ERROR, message, span, path)

    def string(self, node: Node | None, path: str, parent: Span | None, required: bool = True) -> str:
        if node is None:
            if required:
                self.malformed(f"missing required field {path}", parent, path)
            return ""
        if not isinstance(node, LScalar) or not isinstance(node.value, str):
            self.malformed(f"{path} must be a string", node.span, path)
            return "" if not isinstance(node, LScalar) or node.value is None else str(node.value)
        return node.value

    def strings(self, node: Node | None, path: str) -> tuple[str, ...]:
        if node is None or (isinstance(node, LScalar) and node.value is None):
            return ()
        if not isinstance(node, LSeq):
            self.malformed(f"{path} must be a list of strings", node.span, path)
            return ()
        values: list[str] = []
        for index, item in enumerate(node):
            if isinstance(item, LScalar) and isinstance(item.value, str):
                values.append(item.value)
            else:
                self.malformed(f"{path}[{index}] must be a string", item.span, f"{path}[{index}]")
        return tuple(values)

    def mapping(self, node: Node | None, path: str, parent: Span | None, required: bool) -> LMap | None:
        if node is None:
            if required:
                self.malformed(f"missing required field {path}", parent, path)
            return None
        if not isinstance(node, LMap):
            self.malformed(f"{path} must be a mapping", node.span, path)
            return None
        return node

    def sequence(self, node: Node | None, path: str) -> tuple[Node, ...]:
        if node is None or (isinstance(node, LScalar) and node.value is None):
            return ()
        if not isinstance(node, LSeq):
            self.malformed(f"{path} must be a list", node.span, path)
            return ()
        return node.items


def _verb_hint(verb: str, known: frozenset[str]) -> str | None:
    lowered = verb.lower()
    if lowered in known:
        return f"verbs are case-sensitive: write `{lowered}`"
    close = difflib.get_close_matches(lowered, sorted(known - {"*"}), n=1, cutoff=0.75)
    return f"did you mean `{close[0]}`?" if close else None


def _seq_item_spans(node: Node | None) -> tuple[Span, ...]:
    return tuple(item.span for item in node) if isinstance(node, LSeq) else ()


def _read_rule(reader: _Reader, node: Node, path: str, namespaced: bool) -> PolicyRule | None:
    rule_map = reader.mapping(node, path, node.span, required=True)
    if rule_map is None:
        return None
    rule = PolicyRule(
        verbs=reader.strings(rule_map.get("verbs"), f"{path}.verbs"),
        api_groups=reader.strings(rule_map.get("apiGroups"), f"{path}.apiGroups"),
        resources=reader.strings(rule_map.get("resources"), f"{path}.resources"),
        resource_names=reader.strings(rule_map.get("resourceNames"), f"{path}.resourceNames"),
        non_resource_urls=reader.strings(rule_map.get("nonResourceURLs"), f"{path}.nonResourceURLs"),
        span=rule_map.span, field_path=path)
    verb_spans = _seq_item_spans(rule_map.get("verbs"))
    known = NON_RESOURCE_VERBS if rule.non_resource_urls and not rule.resources else KNOWN_VERBS
    for index, verb in enumerate(rule.verbs):
        if verb not in known:
            span = verb_spans[index] if index < len(verb_spans) else rule_map.span
            reader.report(codes.UNKNOWN_VERB, Severity.WARNING,
                          f"unknown verb {verb!r}: it will never match a request", span,
                          f"{path}.verbs[{index}]", _verb_hint(verb, known))
    for message, where in _rule_problems(rule, namespaced):
        reader.report(codes.INVALID_RULE, Severity.ERROR, message,
                      rule_map.key_span(where) or rule_map.span, f"{path}.{where}")
    return rule


def _rule_problems(rule: PolicyRule, namespaced: bool) -> list[tuple[str, str]]:
    """`ValidatePolicyRule`: (message, field) pairs."""
    problems: list[tuple[str, str]] = []
    if not rule.verbs:
        problems.append(("verbs must contain at least one value", "verbs"))
    if rule.non_resource_urls:
        if namespaced:
            problems.append(("namespaced rules cannot apply to non-resource URLs", "nonResourceURLs"))
        if rule.api_groups or rule.resources or rule.resource_names:
            problems.append(("rules cannot apply to both regular resources and non-resource URLs",
                             "nonResourceURLs"))
        return problems
    if not rule.api_groups:
        problems.append(("resource rules must supply at least one api group", "apiGroups"))
    if not rule.resources:
        problems.append(("resource rules must supply at least one resource", "resources"))
    return problems


def _read_requirement(reader: _Reader, node: Node, path: str) -> LabelRequirement | None:
    req_map = reader.mapping(node, path, node.span, required=True)
    if req_map is None:
        return None
    key = reader.string(req_map.get("key"), f"{path}.key", req_map.span)
    op_text = reader.string(req_map.get("operator"), f"{path}.operator", req_map.span)
    values = reader.strings(req_map.get("values"), f"{path}.values")
    try:
        operator = SelectorOperator(op_text)
    except ValueError:
        reader.report(codes.INVALID_LABEL_SELECTOR, Severity.ERROR,
                      f"unknown selector operator {op_text!r} (In, NotIn, Exists, DoesNotExist)",
                      req_map.span, f"{path}.operator")
        return None
    needs_values = operator in (SelectorOperator.IN, SelectorOperator.NOT_IN)
    if needs_values != bool(values):
        reason = "needs at least one value" if needs_values else "must not have values"
        reader.report(codes.INVALID_LABEL_SELECTOR, Severity.ERROR, f"operator {op_text} {reason}",
                      req_map.span, f"{path}.values")
        return None
    return LabelRequirement(key, operator, values)


def _read_selector(reader: _Reader, node: Node, path: str) -> LabelSelector:
    sel_map = reader.mapping(node, path, node.span, required=True)
    if sel_map is None:
        return LabelSelector(valid=False)
    labels = _read_labels(reader, sel_map.get("matchLabels"), f"{path}.matchLabels")
    requirements: list[LabelRequirement] = []
    valid = True
    for index, item in enumerate(reader.sequence(sel_map.get("matchExpressions"), f"{path}.matchExpressions")):
        requirement = _read_requirement(reader, item, f"{path}.matchExpressions[{index}]")
        if requirement is None:
            valid = False
        else:
            requirements.append(requirement)
    return LabelSelector(labels, tuple(requirements), valid)


def _read_labels(reader: _Reader, node: Node | None, path: str) -> tuple[tuple[str, str], ...]:
    if node is None or (isinstance(node, LScalar) and node.value is None):
        return ()
    if not isinstance(node, LMap):
        reader.malformed(f"{path} must be a mapping of strings", node.span, path)
        return ()
    pairs: list[tuple[str, str]] = []
    for key, value in node.entries:
        if isinstance(value, LScalar) and isinstance(value.value, str):
            pairs.append((str(key.value), value.value))
        else:
            reader.malformed(f"{path}.{key.value} must be a string", value.span, f"{path}.{key.value}")
    return tuple(pairs)


def _read_subject(reader: _Reader, node: Node, path: str, namespaced: bool) -> Subject | None:
    subject_map = reader.mapping(node, path, node.span, required=True)
    if subject_map is None:
        return None
    kind_text = reader.string(subject_map.get("kind"), f"{path}.kind", subject_map.span)
    name = reader.string(subject_map.get("name"), f"{path}.name", subject_map.span)
    namespace = reader.string(subject_map.get("namespace"), f"{path}.namespace", None, required=False)
    api_group = reader.string(subject_map.get("apiGroup"), f"{path}.apiGroup", None, required=False)
    try:
        kind = SubjectKind(kind_text)
    except ValueError:
        kind = SubjectKind.INVALID
    span = subject_map.span
    if kind is SubjectKind.INVALID:
        hint = next((f"kinds are case-sensitive: write `{k.value}`" for k in SubjectKind
                     if k.value.lower() == kind_text.lower() and k is not SubjectKind.INVALID), None)
        reader.report(codes.BAD_SUBJECT, Severity.ERROR,
                      f"subject kind {kind_text!r} is not User, Group or ServiceAccount; it never matches",
                      subject_map.key_span("kind") or span, f"{path}.kind", hint)
    elif not name:
        reader.report(codes.BAD_SUBJECT, Severity.ERROR, "subject name must not be empty", span, f"{path}.name")
    elif kind is SubjectKind.SERVICE_ACCOUNT and api_group:
        reader.report(codes.BAD_SUBJECT, Severity.ERROR,
                      f"ServiceAccount subjects take no apiGroup (got {api_group!r})", span, f"{path}.apiGroup")
    elif kind is not SubjectKind.SERVICE_ACCOUNT and api_group not in ("", RBAC_GROUP):
        reader.report(codes.BAD_SUBJECT, Severity.ERROR,
                      f"{kind.value} subjects need apiGroup {RBAC_GROUP} (got {api_group!r})",
                      span, f"{path}.apiGroup")
    if kind is SubjectKind.SERVICE_ACCOUNT and not namespace and not namespaced:
        reader.report(codes.SA_WITHOUT_NAMESPACE, Severity.ERROR,
                      f"ServiceAccount subject {name!r} has no namespace; it never matches", span,
                      f"{path}.namespace", "Add the service account's namespace.")
    return Subject(kind, name, namespace, api_group, span)


def _read_role_ref(reader: _Reader, root: LMap, kind: BindingKind) -> RoleRef:
    ref_map = reader.mapping(root.get("roleRef"), "roleRef", root.span, required=True)
    if ref_map is None:
        return RoleRef("", "", "", None)
    ref = RoleRef(reader.string(ref_map.get("kind"), "roleRef.kind", ref_map.span),
                  reader.string(ref_map.get("name"), "roleRef.name", ref_map.span),
                  reader.string(ref_map.get("apiGroup"), "roleRef.apiGroup", None, required=False),
                  ref_map.span)
    allowed = ("Role", "ClusterRole") if kind is BindingKind.ROLE_BINDING else ("ClusterRole",)
    if ref.kind and ref.kind not in allowed:
        reader.report(codes.BAD_ROLE_REF, Severity.ERROR,
                      f"a {kind.value} can only refer to {' or '.join(allowed)}, not {ref.kind!r}; "
                      "it grants nothing", ref_map.key_span("kind") or ref_map.span, "roleRef.kind")
    if ref.api_group not in ("", RBAC_GROUP):
        reader.report(codes.BAD_ROLE_REF, Severity.ERROR,
                      f"roleRef.apiGroup must be {RBAC_GROUP} (got {ref.api_group!r})",
                      ref_map.key_span("apiGroup") or ref_map.span, "roleRef.apiGroup")
    return ref


def _metadata(reader: _Reader, root: LMap, namespaced: bool) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    meta = reader.mapping(root.get("metadata"), "metadata", root.span, required=True)
    if meta is None:
        return "", "", ()
    name = reader.string(meta.get("name"), "metadata.name", meta.span)
    namespace = reader.string(meta.get("namespace"), "metadata.namespace", None, required=False)
    labels = _read_labels(reader, meta.get("labels"), "metadata.labels")
    if namespaced and not namespace:
        namespace = "default"
        reader.ref = ResourceRef(reader.ref.kind, name, namespace)
        reader.report(codes.MISSING_NAMESPACE, Severity.WARNING,
                      f"{reader.ref.kind} {name!r} has no metadata.namespace; assuming 'default'",
                      meta.span, "metadata.namespace")
    elif not namespaced:
        namespace = ""
    reader.ref = ResourceRef(reader.ref.kind, name, namespace)
    return name, namespace, labels


def _read_role(root: LMap, kind: RoleKind, reader: _Reader) -> Role:
    namespaced = kind is RoleKind.ROLE
    name, namespace, labels = _metadata(reader, root, namespaced)
    rules = tuple(rule for index, node in enumerate(reader.sequence(root.get("rules"), "rules"))
                  if (rule := _read_rule(reader, node, f"rules[{index}]", namespaced)) is not None)
    aggregation: tuple[LabelSelector, ...] | None = None
    agg_node = root.get("aggregationRule")
    # `aggregationRule: null` decodes to a nil pointer: the role is not aggregated.
    if kind is RoleKind.CLUSTER_ROLE and agg_node is not None and not _is_null(agg_node):
        agg_map = reader.mapping(agg_node, "aggregationRule", root.span, required=False)
        raw = agg_map.get("clusterRoleSelectors") if agg_map else None
        selectors = reader.sequence(raw, "aggregationRule.clusterRoleSelectors")
        no_selectors = raw is None or _is_null(raw) or (isinstance(raw, LSeq) and not raw)
        if agg_map is not None and no_selectors:
            # ValidateClusterRole: "at least one clusterRoleSelector required if aggregationRule
            # is non-nil". The controller would still replace the rules with an empty union.
            reader.malformed("aggregationRule needs at least one clusterRoleSelector",
                             agg_node.span, "aggregationRule.clusterRoleSelectors")
        aggregation = tuple(_read_selector(reader, node, f"aggregationRule.clusterRoleSelectors[{i}]")
                            for i, node in enumerate(selectors))
        if rules:
            reader.report(codes.AGGREGATED_RULES_IGNORED, Severity.WARNING,
                          f"ClusterRole {name!r} is aggregated; the controller replaces its {len(rules)} "
                          "listed rule(s) with the selected roles' rules",
                          root.key_span("rules") or root.span, "rules")
    return Role(kind, name, namespace, rules, labels, aggregation, root.span)


def _is_null(node: Node) -> bool:
    return isinstance(node, LScalar) and node.value is None


def _read_binding(root: LMap, kind: BindingKind, reader: _Reader) -> Binding:
    namespaced = kind is BindingKind.ROLE_BINDING
    name, namespace, _ = _metadata(reader, root, namespaced)
    role_ref = _read_role_ref(reader, root, kind)
    subjects = tuple(subject for index, node in enumerate(reader.sequence(root.get("subjects"), "subjects"))
                     if (subject := _read_subject(reader, node, f"subjects[{index}]", namespaced)) is not None)
    return Binding(kind, name, role_ref, subjects, namespace, root.span)


def _kind_of(root: LMap) -> tuple[str, str]:
    api_version = root.get("apiVersion")
    kind = root.get("kind")
    api = api_version.value if isinstance(api_version, LScalar) else None
    text = kind.value if isinstance(kind, LScalar) else None
    return (api if isinstance(api, str) else ""), (text if isinstance(text, str) else "")


def is_rbac_object(root: Node) -> bool:
    """True for mappings whose apiVersion is rbac.authorization.k8s.io/* and kind is an RBAC kind."""
    if not isinstance(root, LMap):
        return False
    api, kind = _kind_of(root)
    return api.startswith(RBAC_GROUP + "/") and kind in (
        "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")


def read_rbac_object(root: LMap) -> tuple[Role | Binding | None, tuple[Diagnostic, ...]]:
    """One RBAC object from a located mapping; None when it is not an RBAC object."""
    if not is_rbac_object(root):
        return None, ()
    _, kind = _kind_of(root)
    reader = _Reader(ResourceRef(kind, ""))
    obj: Role | Binding
    if kind in ("Role", "ClusterRole"):
        obj = _read_role(root, RoleKind(kind), reader)
    else:
        obj = _read_binding(root, BindingKind(kind), reader)
    return obj, tuple(reader.diagnostics)


def _duplicates(objects: list[Role | Binding]) -> list[Diagnostic]:
    seen: dict[tuple[str, str, str], Role | Binding] = {}
    found: list[Diagnostic] = []
    for obj in objects:
        key = (obj.kind.value, obj.namespace, obj.name)
        first = seen.get(key)
        if first is not None:
            where = f" (first at {first.span})" if first.span else ""
            found.append(Diagnostic(codes.DUPLICATE_OBJECT, Severity.WARNING,
                                    f"{obj.ref} is defined twice{where}; the later one is used",
                                    obj.span, obj.ref, "metadata.name"))
        seen[key] = obj
    return found


def rbac_set_from_documents(documents: Iterable[Document]) -> tuple[RbacSet, tuple[Diagnostic, ...]]:
    """Every RBAC object among `documents` (others are skipped), plus the problems found."""
    objects: list[Role | Binding] = []
    diagnostics: list[Diagnostic] = []
    for document in documents:
        for root in _items(document.root):
            obj, found = read_rbac_object(root)
            diagnostics.extend(found)
            if obj is not None:
                objects.append(obj)
    diagnostics.extend(_duplicates(objects))
    latest: dict[tuple[str, str, str], Role | Binding] = {
        (o.kind.value, o.namespace, o.name): o for o in objects}
    roles = tuple(o for o in latest.values() if isinstance(o, Role))
    bindings = tuple(o for o in latest.values() if isinstance(o, Binding))
    return RbacSet(roles, bindings), tuple(diagnostics)


def _items(root: Node) -> Iterable[LMap]:
    """The document itself, or the items of a `kind: *List`."""
    if not isinstance(root, LMap):
        return ()
    _, kind = _kind_of(root)
    items = root.get("items")
    if kind.endswith("List") and isinstance(items, LSeq):
        return tuple(item for item in items if isinstance(item, LMap))
    return (root,)
