"""Product images: checked, measured and thumbnailed, kept in the store's database.

An upload is refused unless Pillow recognises it as JPEG, PNG, GIF or WebP within
the size and pixel limits; a decompression bomb is refused before it is decoded.
Images named by URL in an import are fetched later, with a timeout and a size
limit; a failed fetch is recorded on the image, never fatal to the import.
"""

import hashlib
import io
import logging
import urllib.request
import warnings
from dataclasses import dataclass

from PIL import Image as PILImage
from PIL import UnidentifiedImageError

from commerce.errors import ImageRejected, NotFound

log = logging.getLogger(__name__)

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
THUMBNAIL_SIZE = (480, 480)
FETCH_TIMEOUT = 10
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif",
           "WEBP": "image/webp"}  # fmt: skip


@dataclass(frozen=True)
class CheckedImage:
    data: bytes
    content_type: str
    width: int
    height: int
    thumbnail: bytes
    sha256: str


def check_image(data):
    """Validate image bytes and make a thumbnail; raise ImageRejected saying why."""
    if not data:
        raise ImageRejected("the file is empty")
    if len(data) > MAX_BYTES:
        raise ImageRejected(f"larger than {MAX_BYTES // (1024 * 1024)} MB")

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            with PILImage.open(io.BytesIO(data)) as probe:
                kind = probe.format
                width, height = probe.size
                if width * height > MAX_PIXELS:
                    raise ImageRejected(f"{width}x{height} pixels is too many")
                probe.verify()
            with PILImage.open(io.BytesIO(data)) as image:
                image.load()
                thumbnail = _thumbnail(image)
    except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning):
        raise ImageRejected("decompression bomb: too many pixels") from None
    except UnidentifiedImageError:
        raise ImageRejected("not an image Pillow can read") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageRejected(f"damaged image ({exc.__class__.__name__})") from None

    if kind not in FORMATS:
        raise ImageRejected(
            f"{kind} images are not accepted; use JPEG, PNG, GIF or WebP"
        )
    return CheckedImage(data, FORMATS[kind], width, height, thumbnail,
                        hashlib.sha256(data).hexdigest())  # fmt: skip


def add_image(tenant, product_id, data, *, alt_text=None, position=None):
    """Store an uploaded image for a product; return the image id."""
    checked = check_image(data)
    with tenant.transaction() as conn:
        if not conn.execute(
            "SELECT 1 FROM products WHERE id = %s", (product_id,)
        ).fetchone():
            raise NotFound("product", product_id)
        if position is None:
            position = conn.execute(
                """SELECT coalesce(max(position), 0) + 1 FROM product_images
                   WHERE product_id = %s""",
                (product_id,),
            ).fetchone()[0]
        return conn.execute(
            """INSERT INTO product_images (product_id, position, alt_text, content_type,
                   data, thumbnail, width, height, byte_size, sha256, fetch_status)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'stored')
               RETURNING id""",
            (product_id, position, alt_text, checked.content_type, checked.data,
             checked.thumbnail, checked.width, checked.height, len(checked.data),
             checked.sha256),
        ).fetchone()[0]  # fmt: skip


def image_bytes(tenant, image_id, *, thumbnail=False, published_only=False):
    """(bytes, content type, sha256) of a stored image.

    With ``published_only`` (the storefront), only images of active products:
    a draft's pictures stay private until the owner publishes it.
    """
    column = "thumbnail" if thumbnail else "data"
    status = "AND p.status = 'active'" if published_only else ""
    with tenant.connection() as conn:
        row = conn.execute(
            f"""SELECT i.{column}, i.content_type, i.sha256 FROM product_images i
                JOIN products p ON p.id = i.product_id
                WHERE i.id = %s AND i.fetch_status = 'stored' {status}""",
            (image_id,),
        ).fetchone()
    if row is None or row[0] is None:
        raise NotFound("image", image_id)
    content_type = "image/jpeg" if thumbnail else row[1]
    return bytes(row[0]), content_type, row[2] + ("-t" if thumbnail else "")


def fetch_pending_images(tenant, *, limit=50, opener=None):
    """Fetch images that imports named by URL; return (stored, failed) counts."""
    opener = opener or _open_url
    with tenant.connection() as conn:
        pending = conn.execute(
            """SELECT id, source_url FROM product_images
               WHERE fetch_status = 'pending' ORDER BY id LIMIT %s""",
            (limit,),
        ).fetchall()

    stored = failed = 0
    for image_id, url in pending:
        try:
            checked = check_image(opener(url))
        except (ImageRejected, OSError, ValueError) as exc:
            _mark_failed(tenant, image_id, _reason(exc))
            failed += 1
            continue
        with tenant.transaction() as conn:
            conn.execute(
                """UPDATE product_images SET data = %s, thumbnail = %s,
                       content_type = %s, width = %s, height = %s, byte_size = %s,
                       sha256 = %s, fetch_status = 'stored', fetch_error = NULL
                   WHERE id = %s""",
                (checked.data, checked.thumbnail, checked.content_type, checked.width,
                 checked.height, len(checked.data), checked.sha256, image_id),
            )  # fmt: skip
        stored += 1
    log.info("store=%s images fetched=%s failed=%s", tenant.id, stored, failed)
    return stored, failed


def _mark_failed(tenant, image_id, reason):
    with tenant.transaction() as conn:
        conn.execute(
            """UPDATE product_images SET fetch_status = 'failed', fetch_error = %s
               WHERE id = %s""",
            (reason[:300], image_id),
        )


def _reason(exc):
    if isinstance(exc, ImageRejected):
        return exc.reason
    return f"{exc.__class__.__name__}: {str(exc)[:200]}"


def _open_url(url):
    if not url.lower().startswith(("http://", "https://")):
        raise ValueError("only http and https image addresses are fetched")
    # NOTE: the scheme is checked just above, so file: and ftp: never get here.
    headers = {"User-Agent": "APMTSales-images/1"}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310
    response = urllib.request.urlopen(  # noqa: S310
        request, timeout=FETCH_TIMEOUT
    )
    with response:
        data = response.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ValueError(f"larger than {MAX_BYTES // (1024 * 1024)} MB")
    return data


def _thumbnail(image):
    copy = image.convert("RGB")
    copy.thumbnail(THUMBNAIL_SIZE)
    out = io.BytesIO()
    copy.save(out, "JPEG", quality=82, optimize=True)
    return out.getvalue()
