import io

import pytest
from PIL import Image

from commerce import catalogue, images
from commerce.errors import ImageRejected


def png_bytes(size=(64, 48), color=(200, 30, 30)):
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def test_a_real_image_is_stored_with_a_thumbnail(tenant):
    product_id = catalogue.create_product(tenant, {"title": "Poster"})
    image_id = images.add_image(tenant, product_id, png_bytes(), alt_text="red")

    data, content_type, etag = images.image_bytes(tenant, image_id)
    assert content_type == "image/png" and data == png_bytes()
    thumb, thumb_type, _ = images.image_bytes(tenant, image_id, thumbnail=True)
    assert thumb_type == "image/jpeg" and thumb[:2] == b"\xff\xd8"
    assert catalogue.get_product(tenant, product_id).images[0].alt_text == "red"


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "empty"),
        (b"<svg onload=alert(1)>", "not an image"),
        (b"%PDF-1.4 not an image", "not an image"),
        (png_bytes()[:-20], "damaged"),
    ],
)
def test_non_images_are_refused(data, reason):
    with pytest.raises(ImageRejected, match=reason):
        images.check_image(data)


def test_decompression_bomb_is_refused():
    # A tiny file that claims 20000 x 20000 pixels.
    bomb = io.BytesIO()
    Image.new("1", (20000, 20000)).save(bomb, "PNG", optimize=True)
    assert len(bomb.getvalue()) < 200_000
    with pytest.raises(ImageRejected, match="too many|bomb"):
        images.check_image(bomb.getvalue())


def test_fetching_pending_images_records_failures(tenant):
    product_id = catalogue.create_product(tenant, {"title": "Remote"})
    with tenant.transaction() as conn:
        for url in ("http://127.0.0.1:1/good.png", "http://127.0.0.1:1/bad.png"):
            conn.execute(
                """INSERT INTO product_images (product_id, source_url, fetch_status)
                   VALUES (%s, %s, 'pending')""",
                (product_id, url),
            )

    def opener(url):
        if "bad" in url:
            raise OSError("connection refused")
        return png_bytes()

    assert images.fetch_pending_images(tenant, opener=opener) == (1, 1)
    with tenant.connection() as conn:
        rows = conn.execute(
            """SELECT source_url, fetch_status, fetch_error FROM product_images
               ORDER BY id"""
        ).fetchall()
    assert rows[0][1] == "stored"
    assert rows[1][1] == "failed" and "connection refused" in rows[1][2]


def test_the_storefront_asks_for_published_images_only(tenant):
    from commerce.errors import NotFound

    draft = catalogue.create_product(tenant, {"title": "Secret", "status": "draft"})
    image_id = images.add_image(tenant, draft, png_bytes())
    assert images.image_bytes(tenant, image_id)[0] == png_bytes()
    with pytest.raises(NotFound):
        images.image_bytes(tenant, image_id, published_only=True)
