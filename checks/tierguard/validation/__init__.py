"""Validation of loaded resources: kind dispatch, Kubernetes schemas, GitOps models, Calico rules."""
