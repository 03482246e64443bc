"""A writer's answer is untrusted: read strictly, sanitised, length-checked."""

import json

import pytest

from commerce.descriptions.errors import OutputRejected
from commerce.descriptions.output import LIMITS, parse_texts
from tests.commerce.descriptions.stubs import GOOD_TEXTS


def answer(**changes):
    return json.dumps({**GOOD_TEXTS, **changes})


def test_a_good_answer_is_read_as_it_is():
    texts = parse_texts(answer(), "anthropic")
    assert texts.as_dict() == GOOD_TEXTS


def test_a_json_fence_around_the_object_is_tolerated():
    fenced = "```json\n" + answer() + "\n```"
    assert parse_texts(fenced, "openai").seo_title == GOOD_TEXTS["seo_title"]


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("Here is your description: nice mug", "not a JSON object"),
        ("[1, 2]", "not a JSON object"),
        (answer() + " and some chatter", "not a JSON object"),
        ('{"seo_title": "a", "seo_title": "b"}', "not a JSON object"),
        (json.dumps({"seo_title": "x"}), "exactly the keys"),
        (answer(extra="x"), "exactly the keys"),
        (answer(seo_title=7), "seo_title is not a string"),
        (answer(alt_text="   "), "alt_text is empty"),
        (answer(description_html="<script>x()</script>"), "description_html is empty"),
        ("", "not a JSON object"),
    ],
)
def test_malformed_answers_are_refused(raw, reason):
    with pytest.raises(OutputRejected, match=reason) as caught:
        parse_texts(raw, "google")
    assert caught.value.writer == "google"


@pytest.mark.parametrize("name", list(LIMITS))
def test_overlong_texts_are_refused_not_trimmed(name):
    fits = answer(**{name: "a" * LIMITS[name]})
    assert len(getattr(parse_texts(fits, "openai"), name)) == LIMITS[name]

    with pytest.raises(OutputRejected, match=f"{name} has {LIMITS[name] + 1}"):
        parse_texts(answer(**{name: "a" * (LIMITS[name] + 1)}), "openai")


def test_scripts_links_and_handlers_are_removed_from_the_description():
    raw = answer(
        description_html=(
            '<p onclick="steal()">Warm<script>alert(1)</script> and '
            '<a href="https://spam.example">cheap</a>'
            '<img src="https://track.example/x.png"><b>bold</b></p>'
            "<style>p{}</style><iframe src=x></iframe>"
        )
    )
    description = parse_texts(raw, "anthropic").description_html

    assert description == "<p>Warm and cheap<b>bold</b></p>"


def test_plain_texts_lose_markup_and_keep_ampersands():
    raw = answer(
        seo_title="<b>Tom &amp; Jerry</b> <script>x</script>mug",
        meta_description="5 &lt;script&gt; 6",
        alt_text="Mug\n\n  on\ttable",
    )
    texts = parse_texts(raw, "anthropic")

    assert texts.seo_title == "Tom & Jerry mug"
    assert texts.meta_description == "5 script 6"
    assert texts.alt_text == "Mug on table"
