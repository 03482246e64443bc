"""Security headers on every response, errors, 404s and images included.

The Content-Security-Policy allows scripts, styles and images from our own
origin only: pages carry no inline script or style, so none is needed.
When a store (or, on the platform's own pages, the platform) sets a Google
Analytics measurement id, the policy also allows exactly the origins Google
documents for GA4 and nothing else.
"""

BASE_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'"],
    "connect-src": ["'self'"],
    "font-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    # Hosted checkouts are reached by a redirect after the payment form's post,
    # and browsers hold that redirect to form-action too.
    "form-action": [
        "'self'",
        "https://checkout.stripe.com",
        "https://square.link",
        "https://checkout.square.site",
        "https://www.paypal.com",
        "https://www.sandbox.paypal.com",
        "https://checkout.clover.com",
        "https://sandbox.dev.clover.com",
    ],
    "frame-ancestors": ["'none'"],
}
ANALYTICS = {
    "script-src": ["https://www.googletagmanager.com"],
    "img-src": ["https://*.google-analytics.com", "https://*.googletagmanager.com"],
    "connect-src": [
        "https://*.google-analytics.com",
        "https://*.analytics.google.com",
        "https://*.googletagmanager.com",
    ],
}
FIXED_HEADERS = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def content_security_policy(with_analytics=False):
    policy = {name: list(sources) for name, sources in BASE_POLICY.items()}
    if with_analytics:
        for name, sources in ANALYTICS.items():
            policy[name] += sources
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in policy.items())


_PLAIN = content_security_policy(False)
_WITH_ANALYTICS = content_security_policy(True)


class SecurityHeaders:
    """Middleware: set the headers in process_response, which runs for errors too."""

    def process_response(self, req, resp, resource, req_succeeded):
        for name, value in FIXED_HEADERS.items():
            # A resource may have made one stricter (an order's Referrer-Policy).
            if resp.get_header(name) is None:
                resp.set_header(name, value)
        analytics = bool(req.context.get("ga_id"))
        resp.set_header(
            "Content-Security-Policy", _WITH_ANALYTICS if analytics else _PLAIN
        )
