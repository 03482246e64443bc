"""Refusing request bodies over the configured size before anything reads them.

Falcon sets no limit of its own. A body without a Content-Length (chunked) is
refused too: a form or webhook always says how long it is, and a limit we
cannot check up front is no limit.
"""

import falcon

from storefront_svc.errors import BodyTooLarge

_WITH_BODY = ("POST", "PUT", "PATCH")


class BodyLimit:
    def __init__(self, max_bytes):
        self._max = max_bytes

    def process_request(self, req, resp):
        length = req.content_length
        if length is not None and length > self._max:
            raise BodyTooLarge(self._max)
        if length is None and req.method in _WITH_BODY and _chunked(req):
            raise falcon.HTTPLengthRequired(
                description="Send a Content-Length with the body."
            )


def _chunked(req):
    return "chunked" in (req.get_header("Transfer-Encoding") or "").lower()
