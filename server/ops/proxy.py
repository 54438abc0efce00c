"""Trust X-Forwarded-* only from the configured number of reverse proxies."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def install_proxy_fix(app: Flask) -> Flask:
    """Wrap the app in ProxyFix when PROXY_HOPS > 0.

    Without a proxy the header is whatever the client wrote, so trusting it would let one
    address pose as many and walk around the per-address login limit; that is why hops
    default to 0 and nginx's deployment sets 1.
    """
    hops = int(app.config.get("PROXY_HOPS") or 0)
    if hops > 0 and not isinstance(app.wsgi_app, ProxyFix):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops,
                                x_port=hops)
    return app
