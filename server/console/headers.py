"""Security headers on every console response.

The console's pages carry no inline script, style or event handler (everything lives in
static/console.js and console.css), so the policy can forbid them all: an injected
`<script>` or `onerror=` in a site name would not run even if escaping ever failed.
`frame-ancestors 'none'` (and X-Frame-Options for old browsers) keeps the console out of
other sites' frames (clickjacking a sign-off); the referrer never leaves the site.
"""

from __future__ import annotations

from server.console.blueprint import bp

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")


@bp.after_request
def _security_headers(response):
    # A photo served through the console keeps its own, stricter sandbox policy.
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
