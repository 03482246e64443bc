"""Every failure becomes a proper page: 400/404/409 for input, 503 for the
database, 500 without a trace for the rest."""

import falcon
import falcon.testing
import pytest

from storefront_svc.app import create_app
from tenancy import Platform
from tests.storefront_svc.conftest import Shopper, host_of


def test_an_unreachable_database_answers_503(base_config, keyring, sf_config):
    down = base_config.with_overrides(
        database_url="postgresql://postgres@127.0.0.1:1/postgres"
    )
    app = create_app(
        sf_config.with_overrides(platform=down), Platform(down, keyring=keyring)
    )
    result = falcon.testing.TestClient(app).simulate_get("/", host="acme.localhost")

    assert result.status_code == 503
    assert result.headers["retry-after"] == "30"
    assert "try again soon" in result.text
    assert "127.0.0.1:1" not in result.text and "Traceback" not in result.text


def test_an_unexpected_error_is_a_500_without_a_trace(platform, sf_config, caplog):
    app = create_app(sf_config, platform)

    class Broken:
        def on_get(self, req, resp):
            raise RuntimeError("secret detail")

    app.add_route("/platform/broken", Broken())
    result = falcon.testing.TestClient(app).simulate_get("/broken", host="localhost")

    assert result.status_code == 500
    assert "secret detail" not in result.text and "Traceback" not in result.text
    assert result.headers["x-request-id"] in result.text
    assert "secret detail" in caplog.text


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", "/products", {"query_string": "page=-1"}),
        ("GET", "/products", {"query_string": "in_stock=%ff"}),
        ("GET", "/products/%00", {}),
        ("GET", "/images/0", {}),
        ("GET", "/orders/" + "x" * 500, {}),
        ("GET", "/newsletter/confirm", {"query_string": "t=%ff%fe"}),
        ("GET", "/newsletter/unsubscribe", {"query_string": "s=1&sig=x"}),
        ("GET", "/newsletter/unsubscribe", {"query_string": "s=999999999999999999999"}),
        ("POST", "/cart", {"body": "variant_id=1&quantity=1e9"}),
        ("POST", "/cart", {"body": "%%%"}),
        ("POST", "/checkout", {"body": "email=" + "a" * 3000}),
        ("POST", "/contact", {"body": "name=&email=&message="}),
        ("POST", "/newsletter/confirm", {"body": "t="}),
        ("PUT", "/cart", {}),
        ("DELETE", "/products", {}),
    ],
)
def test_bad_input_never_gets_a_500(client, read_only_shop, method, path, kwargs):
    shopper = Shopper(client, host_of(read_only_shop))
    shopper.get("/contact")
    if "body" in kwargs:
        kwargs = {**kwargs, "body": kwargs["body"] + f"&csrf_token={shopper.token}"}
        kwargs["content_type"] = "application/x-www-form-urlencoded"
    result = shopper._send(method, path, **kwargs)
    assert result.status_code < 500, (result.status, result.text[:500])
    assert "Traceback" not in result.text


def test_method_not_allowed_keeps_its_allow_header(client, read_only_shop):
    result = client.simulate_delete("/cart", host=host_of(read_only_shop))
    assert result.status_code == 405 and "GET" in result.headers["allow"]


def test_health_answers_on_any_host(client):
    for host in ("localhost", "unknown.localhost", "127.0.0.1"):
        result = client.simulate_get("/healthz", host=host)
        assert result.status_code == 200 and result.json == {"status": "ok"}
        assert result.headers["x-content-type-options"] == "nosniff"


def test_webhooks_of_a_provider_the_store_does_not_use_are_refused(
    client, read_only_shop
):
    result = client.simulate_post(
        "/webhooks/paypal", host=host_of(read_only_shop), body=b"{}"
    )
    assert 400 <= result.status_code < 500
    assert (
        client.simulate_get(
            "/webhooks/paypal", host=host_of(read_only_shop)
        ).status_code
        == 405
    )
