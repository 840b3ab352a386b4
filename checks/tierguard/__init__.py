"""tierguard: prove what a Calico policy change does to recorded traffic before GitOps applies it."""

__version__ = "0.1.0"
