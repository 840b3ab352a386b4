"""The cluster inventory: endpoints with effective labels, services, nodes (calico-semantics §1.8)."""
