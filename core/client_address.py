"""The address of the computer a request came from, behind as many proxies as we run.

One answer for everything that names or counts a client: django-axes' sign-in lock-out
(`AXES_CLIENT_IP_CALLABLE`), the audit trail's `ip`, and DRF's throttles (`NUM_PROXIES`, the same
count). With `TRUSTED_PROXY_COUNT = 0` the application is reached directly and only
`REMOTE_ADDR` counts: an `X-Forwarded-For` header is whatever the client chose to send.

With N trusted proxies in front, each appends the address it was connected from to
`X-Forwarded-For` (nginx's `$proxy_add_x_forwarded_for`, HAProxy's `option forwardfor`, cloud load
balancers), so the header reads `[anything the client sent…, client, proxy 1, …, proxy N-1]` and
`REMOTE_ADDR` is proxy N. The client is the N-th address from the right: everything to its left
was written by the client and proves nothing. A request with fewer than N addresses did not pass
through all our proxies (or one of them is misconfigured); its peer, `REMOTE_ADDR`, is then the
only address nobody could forge.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def client_ip(request) -> str | None:
    """The client's address in canonical form, or None when the trusted source is not an address."""
    count = settings.TRUSTED_PROXY_COUNT
    if count > 0:
        header = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in header.split(",")] if header else []
        if len(hops) >= count:
            # Written by our outermost proxy: a bad value there is a configuration error, and the
            # peer is still a better answer than anything further left.
            return _address(hops[-count]) or _address(request.META.get("REMOTE_ADDR", ""))
    return _address(request.META.get("REMOTE_ADDR", ""))


def _address(raw: str) -> str | None:
    """`raw` as an IP address; some balancers append the client's port (`1.2.3.4:5678`,
    `[2001:db8::1]:5678`), which is dropped."""
    raw = raw.strip()
    if raw.startswith("[") and "]" in raw:
        raw = raw[1 : raw.index("]")]
    elif raw.count(":") == 1:
        raw = raw.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        return None
