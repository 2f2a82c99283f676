"""The spec model, mirroring Ceph's ``ceph.deployment``: host, service, placement, OSD
(drive group) and tuned-profile specs, and the YAML spec-file loader.

Nothing is imported here, so that ``orch --help`` pays for none of it (and yaml is only
imported by the loader, when a spec file is actually read or written).
"""
