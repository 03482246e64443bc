"""The privacy request form, its JSON twin, the code page and the download."""

import io
import json
import re
import zipfile

from commerce import privacy
from tests.storefront_svc.conftest import Shopper, host_of

CODE = re.compile(r"^\s+(\d{6})$", re.M)
OWNER = "account:1"


def code_mails(tenant):
    with tenant.connection() as conn:
        return conn.execute(
            """SELECT recipient, body_text FROM outbox
               WHERE kind = 'privacy_code' ORDER BY id"""
        ).fetchall()


def last_code(tenant):
    return CODE.search(code_mails(tenant)[-1][1]).group(1)


def test_the_form_sends_a_code_and_the_code_page_verifies(shopper, shop):
    shopper.get("/privacy/requests")
    sent = shopper.post(
        "/privacy/requests", {"email": "ada@example.com", "kind": "access"}
    )
    assert sent.status_code == 303
    page_path = sent.headers["location"].removeprefix("http://" + shopper.host)
    assert page_path.startswith("/privacy/requests/")

    page = shopper.get(page_path)
    assert page.status_code == 200 and "Enter your code" in page.text
    wrong = shopper.post(page_path, {"code": "000000x"})
    assert wrong.status_code == 400 and "wrong or has expired" in wrong.text

    done = shopper.post(page_path, {"code": last_code(shop)})
    assert done.status_code == 200 and "Request confirmed" in done.text
    assert "access request is with Tea Shop" in done.text
    [request] = privacy.list_requests(shop)
    assert request.email == "ada@example.com" and request.status == "verified"


def test_known_and_unknown_addresses_get_the_same_answer(shopper, shop):
    shopper.get("/privacy/requests")
    privacy.open_request(shop, "access", "known@example.com", None, "1.2.3.4")

    answers = [
        shopper.post("/privacy/requests", {"email": email, "kind": "deletion"})
        for email in ("known@example.com", "stranger@example.com")
    ]

    assert [a.status_code for a in answers] == [303, 303]
    pages = [shopper.get(a.headers["location"]).text for a in answers]
    tokens = [a.headers["location"].rsplit("/", 1)[1] for a in answers]
    assert pages[0].replace(tokens[0], "T") == pages[1].replace(tokens[1], "T")


def test_the_json_endpoint_opens_and_verifies(client, shop):
    host = host_of(shop)
    opened = client.simulate_post(
        "/privacy/requests.json",
        host=host,
        json={"kind": "deletion", "email": "ada@example.com"},
        remote_addr="10.1.1.1",
    )
    assert opened.status_code == 202
    verify = opened.json["verify"]

    bad = client.simulate_post(verify, host=host, json={"code": "1"})
    assert bad.status_code == 400 and bad.json["field"] == "code"
    good = client.simulate_post(verify, host=host, json={"code": last_code(shop)})
    assert good.status_code == 200 and good.json["status"] == "verified"
    assert good.json["kind"] == "deletion" and good.json["due"]

    refused = client.simulate_post(
        "/privacy/requests.json", host=host, json={"kind": "x", "email": "a@b.co"}
    )
    assert refused.status_code == 400 and refused.json["field"] == "kind"


def test_the_download_link_gives_the_zip_and_then_expires(client, shop):
    token = privacy.open_request(shop, "access", "ada@example.com", None, "ip")
    privacy.verify_request(shop, token, last_code(shop))
    [request] = privacy.list_requests(shop)
    privacy.fulfil_access(shop, request.id, actor=OWNER)
    with shop.connection() as conn:
        body = conn.execute(
            "SELECT body_text FROM outbox WHERE kind = 'privacy_access'"
        ).fetchone()[0]
    path = re.search(r"https?://[^/]+(/privacy/requests/\S+/download)", body).group(1)

    got = client.simulate_get(path, host=host_of(shop))

    assert got.status_code == 200
    assert got.headers["content-type"] == "application/zip"
    assert "attachment" in got.headers["content-disposition"]
    data = json.loads(zipfile.ZipFile(io.BytesIO(got.content)).read("data.json"))
    assert data["email"] == "ada@example.com"
    missing = client.simulate_get("/privacy/requests/nope/download", host=host_of(shop))
    assert missing.status_code == 404


def test_a_flood_of_requests_for_one_address_sends_few_codes(make_client, shop):
    shopper = Shopper(make_client(), host_of(shop), ip="198.51.100.9")
    shopper.get("/privacy/requests")

    for _ in range(privacy.MAX_PER_ADDRESS + 2):
        answer = shopper.post(
            "/privacy/requests", {"email": "ada@example.com", "kind": "access"}
        )
        assert answer.status_code == 303

    assert len(code_mails(shop)) == privacy.MAX_PER_ADDRESS
