"""cephadm's default images per Ceph release: the registry records hold the first release's
(Reef 18.2's, or the first cephadm that knew the type), these tables what later ones changed.

cephadm's mgr module carries one ``container_image_<type>`` default per daemon type, so which
image a new prometheus or grafana gets follows the release of the mgr, that is of the
cluster's Ceph image: ``quay.io/ceph/ceph:v19.2.2`` gets Squid's, ``:v20.2.0`` Tentacle's,
anything whose tag names no version Reef's. A type that did not change (or did not exist yet)
in a release keeps the previous release's image.

Sources: Reef's are cephadm 18.2's ``DEFAULT_*_IMAGE`` constants (what the records held
already). Squid's and Tentacle's are ``src/python-common/ceph/cephadm/images.py``
(``DefaultImages``) as stored in the index: Squid's the table of the Squid era (no alloy yet,
samba's ``devbuilds`` tag, grafana 10.4.8), Tentacle's the one whose samba images carry the
``ceph20`` tag (a ceph/ceph-ci commit of the 20.2 line; its grafana and nvmeof tags may be a
later 20.2.x point release's than 20.2.0's).
"""
from __future__ import annotations

import re
from typing import Dict, Optional

#: major version -> daemon type -> the default image from that release on
RELEASE_IMAGES: Dict[int, Dict[str, str]] = {
    19: {  # Squid
        "prometheus": "quay.io/prometheus/prometheus:v2.51.0",
        "node-exporter": "quay.io/prometheus/node-exporter:v1.7.0",
        "alertmanager": "quay.io/prometheus/alertmanager:v0.27.0",
        "grafana": "quay.io/ceph/grafana:10.4.8",
        "loki": "docker.io/grafana/loki:3.0.0",
        "promtail": "docker.io/grafana/promtail:3.0.0",
        "nvmeof": "quay.io/ceph/nvmeof:1.2.17",
    },
    20: {  # Tentacle
        "prometheus": "quay.io/prometheus/prometheus:v3.6.0",
        "node-exporter": "quay.io/prometheus/node-exporter:v1.9.1",
        "alertmanager": "quay.io/prometheus/alertmanager:v0.28.1",
        "grafana": "quay.io/ceph/grafana:12.3.1",
        "nvmeof": "quay.io/ceph/nvmeof:1.6",
        "smb": "quay.io/samba.org/samba-server:ceph20-centos-amd64",
    },
}

#: the release of an image whose tag names no version (``:latest``, a digest, a custom tag)
BASE_RELEASE = 18

_MAJOR = re.compile(r":v?(\d+)(?:[.\-]|$)")


def release_of(ceph_image: Optional[str]) -> int:
    """The Ceph major version a Ceph image's tag names (``...:v19.2.2`` -> 19)."""
    tag = (ceph_image or "").rsplit("/", 1)[-1]
    match = _MAJOR.search(tag)
    return int(match.group(1)) if match else BASE_RELEASE


def release_default(daemon_type: str, first: Optional[str],
                    ceph_image: Optional[str]) -> Optional[str]:
    """The default image of ``daemon_type`` in the release of ``ceph_image``: the newest
    table at or below that release that names the type, else the first release's."""
    if first is None:
        return None
    release = release_of(ceph_image)
    for major in sorted((m for m in RELEASE_IMAGES if m <= release), reverse=True):
        image = RELEASE_IMAGES[major].get(daemon_type)
        if image:
            return image
    return first
