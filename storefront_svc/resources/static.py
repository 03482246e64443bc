"""The stylesheet and script files, and each store's theme colours as CSS.

Static files are read once at start-up; each answer carries an ETag and a
long cache lifetime, since page links add the file's hash to the address.
"""

import hashlib

import falcon

LONG_CACHE = ["public", "max-age=31536000", "immutable"]
TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}


class StaticFiles:
    def __init__(self, folder):
        self._files = {}
        for path in folder.iterdir():
            if path.suffix in TYPES:
                data = path.read_bytes()
                etag = hashlib.sha256(data).hexdigest()[:16]
                self._files[path.name] = (data, TYPES[path.suffix], etag)

    def on_get(self, req, resp, name):
        found = self._files.get(name)
        if found is None:
            raise falcon.HTTPNotFound()
        _send(req, resp, *found, cache=LONG_CACHE)


class Theme:
    """``/theme.css``: the store's accent colour and the text colour on it."""

    def on_get(self, req, resp):
        look = req.context.look
        css = (
            f":root {{ --accent: {look.accent}; --accent-text: {look.accent_text}; }}\n"
        ).encode()
        _send(
            req, resp, css, TYPES[".css"], look.version, cache=["public", "max-age=300"]
        )


def _send(req, resp, data, content_type, etag, *, cache):
    resp.etag = etag
    resp.cache_control = cache
    if any(str(tag) in (etag, "*") for tag in req.if_none_match or ()):
        resp.status = falcon.HTTP_304
        return
    resp.content_type = content_type
    resp.data = data
