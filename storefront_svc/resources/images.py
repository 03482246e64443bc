"""Product images and their thumbnails, with ETags and cache headers."""

from commerce.images import image_bytes

CACHE_CONTROL = ["public", "max-age=86400"]


class Images:
    def on_get(self, req, resp, image_id):
        self._send(req, resp, image_id, thumbnail=False)

    def on_get_thumbnail(self, req, resp, image_id):
        self._send(req, resp, image_id, thumbnail=True)

    @staticmethod
    def _send(req, resp, image_id, *, thumbnail):
        data, content_type, etag = image_bytes(
            req.context.tenant, image_id, thumbnail=thumbnail, published_only=True
        )
        resp.etag = etag
        resp.cache_control = CACHE_CONTROL
        if any(str(tag) in (etag, "*") for tag in req.if_none_match or ()):
            resp.status = 304
            return

        resp.content_type = content_type
        resp.data = data
