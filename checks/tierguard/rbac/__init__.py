"""Tier-aware RBAC: a Kubernetes RBAC authorizer with Calico tier semantics, who-can, the tier
access matrix, change authorization for reviews and Flux tenant checks. Pure: no I/O, no printing."""
