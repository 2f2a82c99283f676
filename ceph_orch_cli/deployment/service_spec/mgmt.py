"""The management front door: the nginx mgmt-gateway and oauth2-proxy for single sign-on."""
from __future__ import annotations

import os
import re
from typing import Any, Dict, List, Optional

from ceph_orch_cli.deployment.hostspec import SpecValidationError
from ceph_orch_cli.deployment.service_spec.fields import _COMMON, _TLS, _FieldSpec
from ceph_orch_cli.deployment.service_spec.validators import validate_port, verify_non_empty_string


class MgmtGatewaySpec(_FieldSpec):
    """The nginx management gateway in front of the dashboard and monitoring."""

    _TYPES = ('mgmt-gateway',)
    _BASE = (_COMMON - {'unmanaged'}) | _TLS | {'unmanaged'}
    _BASE_DEFAULTS = {'ssl': True}
    #: single sign-on through oauth2-proxy
    enable_auth: bool = False
    #: the port nginx listens on (443 when unset)
    port: Optional[int] = None
    #: nginx TLS settings, each ``on``/``off`` or nginx's syntax
    ssl_prefer_server_ciphers: Optional[str] = None
    ssl_session_tickets: Optional[str] = None
    ssl_session_timeout: Optional[str] = None
    ssl_session_cache: Optional[str] = None
    server_tokens: Optional[str] = None
    ssl_stapling: Optional[str] = None
    ssl_stapling_verify: Optional[str] = None
    ssl_protocols: Optional[List[str]] = None
    ssl_ciphers: Optional[List[str]] = None
    enable_health_check_endpoint: bool = False
    virtual_ip: Optional[str] = None

    def get_port_start(self) -> List[int]:
        return [self.port if self.port is not None else 443]

    def validate(self) -> None:
        super().validate()
        validate_port(self.port, 'port')
        for name in ('ssl_cert', 'ssl_key'):
            val = getattr(self, name)
            if val is not None and not isinstance(val, str):
                raise SpecValidationError(f'Invalid {name}. Must be a string.')
        for name in ('ssl_prefer_server_ciphers', 'ssl_session_tickets', 'ssl_stapling',
                     'ssl_stapling_verify'):
            val = getattr(self, name)
            if val is not None and val not in ['on', 'off']:
                raise SpecValidationError(f'Invalid {name}: {val}. Supported values: on | off.')
        t = self.ssl_session_timeout
        if t is not None and not (isinstance(t, str) and re.match(r'^\d+[smhd]$', t)):
            raise SpecValidationError(
                f"Invalid SSL Session Timeout: {t}. Value must be a number followed by "
                "'s', 'm', 'h', or 'd'.")
        cache = self.ssl_session_cache
        if cache is not None and not (isinstance(cache, str) and any(
                cache.startswith(v) for v in ('none', 'off', 'builtin', 'shared'))):
            raise SpecValidationError(
                f'Invalid SSL Session Cache: {cache}. Supported values are: '
                'off | none | [builtin[:size]] [shared:name:size]')
        if self.server_tokens is not None and \
                self.server_tokens not in ['on', 'off', 'build', 'string']:
            raise SpecValidationError(
                f"Invalid Server Tokens: {self.server_tokens}. Must be one of "
                "['on', 'off', 'build', 'version'].")
        for protocol in self.ssl_protocols or []:
            if protocol not in ['TLSv1.2', 'TLSv1.3']:
                raise SpecValidationError(
                    f"Invalid SSL Protocol: {protocol}. Must be one of ['TLSv1.2', 'TLSv1.3'].")


class OAuth2ProxySpec(_FieldSpec):
    """oauth2-proxy for single sign-on through the management gateway."""

    _TYPES = ('oauth2-proxy',)
    _BASE = (_COMMON - {'preview_only'}) | _TLS
    _BASE_DEFAULTS = {'ssl': True}
    #: ``[IP|hostname]:port`` oauth2-proxy listens on
    https_address: Optional[str] = None
    #: the identity provider: its name, this client's id and secret, its issuer URL
    provider_display_name: Optional[str] = None
    client_id: Optional[str] = None
    client_secret: Optional[str] = None
    oidc_issuer_url: Optional[str] = None
    redirect_url: Optional[str] = None
    scope: Optional[str] = None
    #: 16, 24 or 32 bytes (base64); a random one when unset
    cookie_secret: Optional[str] = None
    email_domains: Optional[List[str]] = None
    allowlist_domains: Optional[List[str]] = None
    ssl_insecure_skip_verify: bool = False

    def _post_init(self) -> None:
        if not self.cookie_secret:
            import base64
            self.cookie_secret = base64.urlsafe_b64encode(os.urandom(32)).decode('utf-8')

    def get_port_start(self) -> List[int]:
        return [4180]

    def validate(self) -> None:
        from urllib.parse import urlparse
        super().validate()
        required = {'provider_display_name': self.provider_display_name,
                    'oidc_issuer_url': self.oidc_issuer_url,
                    'client_id': self.client_id, 'client_secret': self.client_secret}
        missing = [f for f, v in required.items()
                   if v is None or (isinstance(v, str) and not v.strip())]
        if missing:
            raise SpecValidationError(
                'Missing required fields for oauth2-proxy: ' + ', '.join(missing) + '.')
        for name in ('provider_display_name', 'client_id', 'client_secret'):
            verify_non_empty_string(getattr(self, name), name)
        self._validate_cookie_secret(self.cookie_secret)
        for name in ('oidc_issuer_url', 'redirect_url'):
            url = getattr(self, name)
            if url is None:
                continue
            try:
                result = urlparse(url)
            except (ValueError, TypeError, AttributeError) as e:
                raise SpecValidationError(f'Invalid {name}: {e}. Must be a valid URL.')
            if not (result.scheme and result.netloc):
                raise SpecValidationError(f'Error parsing {name} field: Must be a valid URL.')
        if self.scope is not None:
            verify_non_empty_string(self.scope, 'scope')
        for domain in self.email_domains or []:
            if not isinstance(domain, str) or urlparse(f'http://{domain}').netloc != domain:
                raise SpecValidationError(
                    f"Invalid email_domains: '{domain}' is not a valid domain name. "
                    "Must be a valid domain (e.g., 'domain.test').")
        if self.https_address is not None:
            netloc = urlparse(f'http://{self.https_address}').netloc
            if not netloc or ':' not in netloc:
                raise SpecValidationError(
                    'Invalid https_address: Valid format [IP|hostname]:port.')
            port = netloc.rsplit(':', 1)[1]
            if not port.isdigit() or not 0 <= int(port) <= 65535:
                raise SpecValidationError(
                    'Invalid https_address: Port must be between 0 and 65535.')

    @staticmethod
    def _validate_cookie_secret(cookie_secret: Any) -> None:
        import base64
        import binascii
        if cookie_secret is None:
            return
        if not isinstance(cookie_secret, str):
            raise SpecValidationError('Invalid cookie_secret: Must be a non-empty string.')
        try:
            length = len(base64.urlsafe_b64decode(cookie_secret))
        except (binascii.Error, ValueError):
            length = len(cookie_secret.encode('utf-8'))
        if length not in [16, 24, 32]:
            raise SpecValidationError(f'cookie_secret is {length} bytes '
                                      'but must be 16, 24, or 32 bytes to create an AES cipher.')
