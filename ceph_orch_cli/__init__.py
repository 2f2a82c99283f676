"""orch: a standalone `ceph orch` with pluggable backends."""

__version__ = "0.1.0"
