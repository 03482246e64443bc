"""Contact form, newsletter with double opt-in, privacy pages and requests."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from commerce import messages, newsletter
from commerce.errors import InvalidInput, NotFound
from tests.storefront_svc.conftest import host_of

SHARED_POLICY = Path(__file__).resolve().parents[3] / "shared" / "privacy-policy.md"


def outbox(tenant):
    with tenant.connection() as conn:
        return conn.execute(
            "SELECT kind, recipient, subject, body_text FROM outbox ORDER BY id"
        ).fetchall()


def rows(tenant, sql):
    with tenant.connection() as conn:
        return conn.execute(sql).fetchall()


def link_in(body):
    url = re.search(r"http\S+", body).group(0)
    parts = urlsplit(url)
    return parts, f"{parts.path}?{parts.query}"


def test_a_contact_message_is_kept_and_the_owner_told(shopper, shop):
    shopper.get("/contact")
    sent = shopper.post(
        "/contact",
        {
            "name": "Ada",
            "email": "Ada@Example.COM",
            "subject": "Tins",
            "message": "Do you ship?",
        },
    )
    assert sent.status_code == 303
    assert "your message was sent" in shopper.get(sent.headers["location"]).text

    assert rows(shop, "SELECT name, email, subject, body FROM contact_messages") == [
        ("Ada", "Ada@example.com", "Tins", "Do you ship?")
    ]
    ((kind, recipient, subject, body),) = outbox(shop)
    assert (kind, recipient) == (
        "contact_message",
        f"owner-{shop.store.slug}@example.com",
    )
    assert "Do you ship?" in body and subject == "New message: Tins"


def test_a_contact_message_with_a_bad_field_is_shown_again(shopper, shop):
    shopper.get("/contact")
    refused = shopper.post(
        "/contact", {"name": "Ada", "email": "ada@example.com", "message": " "}
    )
    assert refused.status_code == 400
    assert "Message is required" in refused.text and 'value="Ada"' in refused.text
    assert outbox(shop) == []


def test_the_owner_contact_setting_wins(shop):
    from psycopg.types.json import Jsonb

    with shop.transaction() as conn:
        conn.execute(
            "INSERT INTO store_settings VALUES ('contact_email', %s)",
            (Jsonb("shop@tea.example"),),
        )
    assert messages.owner_address(shop) == "shop@tea.example"


def test_newsletter_double_opt_in_then_signed_unsubscribe(shopper, shop):
    shopper.get("/newsletter")
    sent = shopper.post("/newsletter", {"email": "ada@example.com"})
    assert sent.status_code == 303
    assert "Check your inbox" in shopper.get("/newsletter?sent=1").text
    assert rows(shop, "SELECT status FROM newsletter_subscribers") == [("pending",)]

    ((kind, recipient, _, body),) = outbox(shop)
    assert (kind, recipient) == ("newsletter_confirm", "ada@example.com")
    parts, confirm_path = link_in(body)
    assert parts.netloc == f"{shop.store.slug}.localhost:8080"

    page = shopper.get(confirm_path)
    assert page.status_code == 200 and "Yes, send me the newsletter" in page.text
    assert rows(shop, "SELECT status FROM newsletter_subscribers") == [("pending",)]
    token = re.search(r'name="t" value="([^"]+)"', page.text).group(1)
    done = shopper.post("/newsletter/confirm", {"t": token})
    assert done.status_code == 200 and "You are subscribed" in done.text
    assert rows(shop, "SELECT status FROM newsletter_subscribers") == [("confirmed",)]
    assert shopper.post("/newsletter/confirm", {"t": token}).status_code == 404

    welcome = outbox(shop)[-1]
    assert welcome[0] == "newsletter_welcome"
    _, unsubscribe_path = link_in(welcome[3])
    assert "You are unsubscribed" not in shopper.get(unsubscribe_path).text
    gone = shopper.post(unsubscribe_path, token=False)
    assert gone.status_code == 200 and "You are unsubscribed" in gone.text
    assert rows(shop, "SELECT status FROM newsletter_subscribers") == [
        ("unsubscribed",)
    ]


def test_an_unsubscribe_link_must_carry_its_own_signature(client, shop):
    with shop.transaction() as conn:
        conn.execute(
            "INSERT INTO newsletter_subscribers (email, status) VALUES "
            "('a@example.com', 'confirmed'), ('b@example.com', 'confirmed')"
        )
    ids = [
        r[0] for r in rows(shop, "SELECT id FROM newsletter_subscribers ORDER BY id")
    ]
    key = b"k" * 32
    good = newsletter.unsubscribe_signature(key, shop.id, ids[0])
    assert newsletter.check_unsubscribe_signature(
        [b"x" * 32, key], shop.id, ids[0], good
    )
    assert not newsletter.check_unsubscribe_signature([key], shop.id, ids[1], good)
    assert not newsletter.check_unsubscribe_signature([key], shop.id + 1, ids[0], good)

    forged = client.simulate_post(
        "/newsletter/unsubscribe", host=host_of(shop), params={"s": ids[1], "sig": good}
    )
    assert forged.status_code == 404
    assert rows(
        shop, "SELECT count(*) FROM newsletter_subscribers WHERE status = 'confirmed'"
    ) == [(2,)]


def test_signing_up_again_reveals_nothing_and_mails_sparingly(shop):
    def link(token):
        return f"http://x/newsletter/confirm?t={token}"

    now = datetime(2030, 5, 1, tzinfo=UTC)
    assert newsletter.subscribe(shop, "ada@example.com", confirm_url=link, now=now) == (
        "sent"
    )
    again = newsletter.subscribe(shop, "ADA@example.com", confirm_url=link, now=now)
    assert again == "recent" and len(outbox(shop)) == 1
    later = now + newsletter.RESEND_AFTER + timedelta(seconds=1)
    assert newsletter.subscribe(
        shop, "ada@example.com", confirm_url=link, now=later
    ) == ("sent")

    with pytest.raises(InvalidInput, match="email"):
        newsletter.subscribe(shop, "not an address", confirm_url=link)
    with pytest.raises(NotFound):
        newsletter.confirm(shop, "wrong", unsubscribe_url=str)


def test_a_confirmation_link_expires(shop):
    now = datetime(2030, 5, 1, tzinfo=UTC)
    tokens = []
    newsletter.subscribe(
        shop, "ada@example.com", now=now, confirm_url=lambda t: tokens.append(t) or t
    )
    with pytest.raises(NotFound):
        newsletter.confirm(
            shop, tokens[0], unsubscribe_url=str, now=now + newsletter.CONFIRM_WITHIN
        )


def test_the_platform_privacy_policy_is_ours_with_its_date(client):
    page = client.simulate_get("/privacy", host="localhost")
    assert page.status_code == 200
    assert '<time datetime="2026-04-07">April 7, 2026</time>' in page.text
    assert "<h2>Your Rights</h2>" in page.text
    assert "security@apmtsales.com" in page.text


def test_the_policy_text_is_the_shared_policy_word_for_word():
    from storefront_svc.policy import load_policy

    if not SHARED_POLICY.exists():
        pytest.skip("the shared policy is not beside this checkout")
    policy = load_policy()
    ours = [policy.title]
    for section in policy.sections:
        ours.append(section.heading)
        for kind, content in section.blocks:
            ours.extend(content if kind == "ul" else [content])
    ours.append(f"Last updated: {policy.last_updated}")

    def words(text):
        return re.sub(r"[•\s]+", " ", text).split()

    assert words(" ".join(ours)) == words(SHARED_POLICY.read_text())


def test_the_store_privacy_page_and_its_request_form(shopper, shop):
    page = shopper.get("/privacy")
    assert page.status_code == 200 and "Privacy at Tea Shop" in page.text
    assert "No analytics or advertising cookies" in page.text
    assert 'href="http://localhost:8080/privacy"' in page.text

    shopper.get("/privacy/requests")
    refused = shopper.post("/privacy/requests", {"email": "ada@example.com"})
    assert refused.status_code == 400 and "Please choose one" in refused.text
    sent = shopper.post(
        "/privacy/requests",
        {"email": "ada@example.com", "kind": "deletion", "details": ""},
    )
    assert sent.status_code == 303
    assert rows(shop, "SELECT kind, email, status FROM privacy_requests") == [
        ("deletion", "ada@example.com", "unverified")
    ]
    assert [m[0] for m in outbox(shop)] == ["privacy_code"]
