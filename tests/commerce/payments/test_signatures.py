"""Each provider's verification on its own, and against the official SDK helpers.

No database here: the providers are built straight from settings.
"""

import json
import time
from pathlib import Path

import pytest
import stripe
from square.utils.webhooks_helper import verify_signature as square_verify

from commerce.payments.errors import WebhookRejected
from commerce.payments.paypal_certs import Certificates, check_url
from commerce.payments.paypal_provider import signed_message
from commerce.payments.providers import build
from tests.commerce.payments.conftest import CLOVER, PAYPAL, SQUARE, STRIPE
from tests.commerce.payments.deliveries import (
    CERT_URL,
    PaypalSigner,
    body,
    clover_headers,
    square_headers,
    stripe_headers,
)

DATA = Path(__file__).parent / "data"
NOW = 1_721_950_000
SECRET = STRIPE["webhook_secret"]
RAW = body({"id": "evt_1", "type": "payment_intent.created", "data": {"object": {}}})
UNICODE = body({"id": "evt_2", "type": "x", "name": "Crème brûlée – 抹茶 ☕"})


def stripe_provider(**changes):
    return build("stripe", {**STRIPE, **changes}, clock=lambda: NOW)


def sdk_accepts(raw, header, secret=SECRET, tolerance=300):
    original = time.time
    try:
        time.time = lambda: NOW
        stripe.WebhookSignature.verify_header(raw.decode(), header, secret, tolerance)
        return True
    except stripe.SignatureVerificationError:
        return False
    finally:
        time.time = original


def ours_accepts(provider, raw, headers):
    try:
        provider.verify(raw, {k.lower(): v for k, v in headers.items()})
        return True
    except WebhookRejected:
        return False


def one_byte_changed(raw):
    return raw[:-2] + bytes([raw[-2] ^ 1]) + raw[-1:]


STRIPE_CASES = {
    "valid": (RAW, stripe_headers(RAW, SECRET, NOW)["Stripe-Signature"]),
    "unicode": (UNICODE, stripe_headers(UNICODE, SECRET, NOW)["Stripe-Signature"]),
    "rotated, old and new v1": (
        RAW,
        stripe_headers(RAW, ["whsec_old_0123456789", SECRET], NOW)["Stripe-Signature"],
    ),
    "one byte changed": (
        one_byte_changed(RAW),
        stripe_headers(RAW, SECRET, NOW)["Stripe-Signature"],
    ),
    "re-serialised": (
        json.dumps(json.loads(RAW), indent=2).encode(),
        stripe_headers(RAW, SECRET, NOW)["Stripe-Signature"],
    ),
    "wrong secret": (RAW, stripe_headers(RAW, "whsec_other", NOW)["Stripe-Signature"]),
    "stale": (RAW, stripe_headers(RAW, SECRET, NOW - 301)["Stripe-Signature"]),
    "just in time": (RAW, stripe_headers(RAW, SECRET, NOW - 299)["Stripe-Signature"]),
    "future": (RAW, stripe_headers(RAW, SECRET, NOW + 3600)["Stripe-Signature"]),
    "v0 only": (
        RAW,
        stripe_headers(RAW, SECRET, NOW)["Stripe-Signature"].replace("v1=", "v0="),
    ),
    "malformed": (RAW, "garbage"),
    "no timestamp": (RAW, stripe_headers(RAW, SECRET, NOW)["Stripe-Signature"][13:]),
}


@pytest.mark.parametrize("case", sorted(STRIPE_CASES))
def test_stripe_agrees_with_the_sdk(case):
    raw, header = STRIPE_CASES[case]
    ours = ours_accepts(stripe_provider(), raw, {"Stripe-Signature": header})
    assert ours == sdk_accepts(raw, header)
    assert ours == (case in {"valid", "unicode", "rotated, old and new v1",
                             "just in time", "future"})  # fmt: skip


def test_stripe_missing_header_and_our_own_rotation():
    assert not ours_accepts(stripe_provider(), RAW, {})
    header = stripe_headers(RAW, "whsec_before_rotation", NOW)
    rotated = stripe_provider(
        previous={"webhook_secret": "whsec_before_rotation", "until": NOW + 60}
    )
    expired = stripe_provider(
        previous={"webhook_secret": "whsec_before_rotation", "until": NOW - 60}
    )
    assert ours_accepts(rotated, RAW, header)
    assert not ours_accepts(expired, RAW, header)


# -- Square ---------------------------------------------------------------------

OFFICIAL = [
    (
        b'{"merchant_id":"MLEFBHHSJGVHD","type":"webhooks.test_notification",'
        b'"event_id":"ac3ac95b-f97d-458c-a6e6-18981597e05f","created_at":'
        b'"2022-07-13T20:30:59.037339943Z","data":{"type":"webhooks","id":'
        b'"bc368e64-01aa-407e-b46e-3231809b1129"}}',
        "Ibxx_5AKakO-3qeNVR61Dw",
        "https://webhook.site/679a4f3a-dcfa-49ee-bac5-9d0edad886b9",
        "GF4YkrJgGBDZ9NIYbNXBnMzqb2HoL4RW/S6vkZ9/2N4=",
    ),
    (
        b'{"data":{"type":"webhooks","id":">id<"}}',
        "signature-key",
        "https://webhook.site/webhooks",
        "Cxt7+aTi4rKgcA0bC4g9EHdVtLSDWdqccmL5MvihU4U=",
    ),
]


def square_provider(url=SQUARE["notification_url"], key=SQUARE["signature_key"]):
    settings = {**SQUARE, "notification_url": url, "signature_key": key}
    return build("square", settings)


@pytest.mark.parametrize("raw, key, url, expected", OFFICIAL)
def test_square_official_vectors(raw, key, url, expected):
    header = {"x-square-hmacsha256-signature": expected}
    assert ours_accepts(square_provider(url, key), raw, header)
    assert square_headers(raw, key, url)["x-square-hmacsha256-signature"] == expected


URL = SQUARE["notification_url"]
SQUARE_CASES = {
    "valid": (RAW, URL),
    "unicode": (UNICODE, URL),
    "escaped characters kept": (b'{"a":"\\u003cb\\u003e"}', URL),
    "trailing slash": (RAW, URL + "/"),
    "http instead of https": (RAW, URL.replace("https", "http")),
    "query added": (RAW, URL + "?x=1"),
}


@pytest.mark.parametrize("case", sorted(SQUARE_CASES))
def test_square_agrees_with_the_sdk(case):
    raw, signed_url = SQUARE_CASES[case]
    key = SQUARE["signature_key"]
    header = square_headers(raw, key, signed_url)["x-square-hmacsha256-signature"]

    ours = ours_accepts(
        square_provider(), raw, {"x-square-hmacsha256-signature": header}
    )
    sdk = square_verify(
        request_body=raw.decode(), signature_header=header, signature_key=key,
        notification_url=URL,
    )  # fmt: skip
    assert ours == sdk == (signed_url == URL)


def test_square_refuses_changed_bodies_and_missing_headers():
    key = SQUARE["signature_key"]
    header = square_headers(RAW, key, URL)
    provider = square_provider()
    assert not ours_accepts(provider, one_byte_changed(RAW), header)
    assert not ours_accepts(provider, json.dumps(json.loads(RAW)).encode(), header)
    assert not ours_accepts(provider, RAW, {})
    assert not ours_accepts(square_provider(key="another-key"), RAW, header)


# -- PayPal -----------------------------------------------------------------------


def test_paypal_signed_string_matches_the_published_example():
    # The sample delivery of PayPal's Ruby SDK spec (webhooks_examples_spec.rb).
    raw = (DATA / "paypal-sale-completed.json").read_bytes()
    assert signed_message(
        "dfb3be50-fd74-11e4-8bf3-77339302725b", "2015-05-18T15:45:13Z",
        "4JH86294D6297924G", raw,
    ) == (
        b"dfb3be50-fd74-11e4-8bf3-77339302725b|2015-05-18T15:45:13Z|"
        b"4JH86294D6297924G|2771810304"
    )  # fmt: skip


class CountingFetch:
    def __init__(self, pem):
        self.pem, self.urls = pem, []

    def __call__(self, url):
        self.urls.append(url)
        return self.pem


@pytest.fixture(scope="module")
def signer():
    return PaypalSigner()


def paypal_provider(fetch, **changes):
    return build("paypal", {**PAYPAL, **changes}, certificates=Certificates(fetch))


def test_paypal_verifies_by_certificate_and_caches_it(signer):
    fetch = CountingFetch(signer.pem)
    provider = paypal_provider(fetch)
    for number in range(3):
        raw = body({"id": f"WH-{number}", "event_type": "X", "text": "Grüße 抹茶"})
        assert ours_accepts(provider, raw, signer.headers(raw, PAYPAL["webhook_id"]))
    assert fetch.urls == [CERT_URL]


def test_paypal_refusals(signer):
    fetch = CountingFetch(signer.pem)
    provider = paypal_provider(fetch)
    raw = body({"id": "WH-1", "event_type": "X"})
    good = signer.headers(raw, PAYPAL["webhook_id"])

    assert not ours_accepts(provider, one_byte_changed(raw), good)
    assert not ours_accepts(provider, raw, signer.headers(raw, "ANOTHER-WEBHOOK"))
    for name in (
        "PAYPAL-TRANSMISSION-SIG",
        "PAYPAL-CERT-URL",
        "PAYPAL-TRANSMISSION-ID",
    ):
        assert not ours_accepts(
            provider, raw, {k: v for k, v in good.items() if k != name}
        )
    assert not ours_accepts(provider, raw, {**good, "PAYPAL-AUTH-ALGO": "SHA1withRSA"})


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example.com/v1/notifications/certs/CERT-1",
        "https://api.paypal.com.evil.example/v1/notifications/certs/CERT-1",
        "http://api.paypal.com/v1/notifications/certs/CERT-1",
        "https://api.paypal.com:8443/v1/notifications/certs/CERT-1",
        "https://user@api.paypal.com/v1/notifications/certs/CERT-1",
        "https://api.paypal.com/anything-else",
        "https://127.0.0.1/v1/notifications/certs/CERT-1",
    ],
)
def test_a_certificate_on_a_foreign_host_is_refused_without_fetching(signer, url):
    fetch = CountingFetch(signer.pem)
    raw = body({"id": "WH-1", "event_type": "X"})
    headers = signer.headers(raw, PAYPAL["webhook_id"], cert_url=url)

    assert not ours_accepts(paypal_provider(fetch), raw, headers)
    assert fetch.urls == []
    with pytest.raises(WebhookRejected):
        check_url(url)


def test_a_certificate_not_issued_to_paypal_is_refused():
    impostor = PaypalSigner(common_name="payments.example.com")
    raw = body({"id": "WH-1", "event_type": "X"})
    provider = paypal_provider(CountingFetch(impostor.pem))
    assert not ours_accepts(provider, raw, impostor.headers(raw, PAYPAL["webhook_id"]))


# -- Clover -------------------------------------------------------------------------


def clover_provider(**changes):
    return build("clover", {**CLOVER, **changes}, clock=lambda: NOW)


def test_clover_hosted_checkout_signature():
    secret = CLOVER["webhook_secret"]
    provider = clover_provider()
    assert ours_accepts(provider, UNICODE, clover_headers(UNICODE, secret, NOW))
    assert not ours_accepts(provider, RAW, clover_headers(RAW, "wrong", NOW))
    changed_t = clover_headers(RAW, secret, NOW)["Clover-Signature"].replace(
        f"t={NOW}", f"t={NOW + 1}"
    )
    assert not ours_accepts(provider, RAW, {"Clover-Signature": changed_t})
    assert not ours_accepts(
        provider, one_byte_changed(RAW), clover_headers(RAW, secret)
    )


def test_clover_app_notifications_compare_the_auth_code():
    provider = clover_provider()
    assert ours_accepts(provider, RAW, {"X-Clover-Auth": CLOVER["auth_code"]})
    assert not ours_accepts(provider, RAW, {"X-Clover-Auth": CLOVER["auth_code"] + "x"})
    assert not ours_accepts(provider, RAW, {"X-Clover-Auth": ""})
    assert not ours_accepts(provider, RAW, {})
