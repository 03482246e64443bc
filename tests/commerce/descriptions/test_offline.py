"""The offline writer: decent copy from the product's own details, no network."""

import pytest

from commerce.descriptions.offline import OfflineWriter
from commerce.descriptions.output import parse_texts
from commerce.descriptions.request import LENGTHS, TONES, Options, WriteRequest

FACTS = {
    "title": "Stoneware Mug",
    "vendor": "Kiln & Co",
    "product_type": "Mug",
    "tags": ["kitchen", "gift"],
    "options": {"Colour": ["Blue", "Green"]},
    "description": "Hand thrown <and> glazed.",
    "price": "18.00 to 19.50 USD",
}


def write(facts, **options):
    writer = OfflineWriter()
    reply = writer.write(WriteRequest(facts, Options(**options).validated()))
    return parse_texts(reply.text, writer.name), reply


def test_it_writes_all_four_texts_from_the_facts():
    texts, reply = write(FACTS, length="long")

    assert texts.seo_title == "Stoneware Mug | Kiln & Co"
    assert "<li><strong>Colour:</strong> Blue and Green</li>" in texts.description_html
    assert "Hand thrown &lt;and&gt; glazed." in texts.description_html
    assert "Priced from 18.00 to 19.50 USD." in texts.meta_description
    assert texts.alt_text == "Stoneware Mug, mug by Kiln & Co"
    assert (reply.tokens_in, reply.tokens_out) == (0, 0)


def test_it_uses_only_the_facts_it_was_given():
    texts, _ = write({"title": "Plain Bowl"}, length="long")

    assert texts.seo_title == "Plain Bowl"
    assert "Kiln" not in texts.description_html + texts.meta_description


@pytest.mark.parametrize("tone", TONES)
@pytest.mark.parametrize("length", list(LENGTHS))
def test_every_option_fits_the_limits_even_with_huge_facts(tone, length):
    huge = {
        "title": "Very " * 40,
        "vendor": "V" * 100,
        "product_type": "T" * 100,
        "tags": ["t" * 40] * 20,
        "options": {f"O{i}" * 10: ["v" * 40] * 20 for i in range(3)},
        "description": "word " * 400,
        "price": "1.00 to 99999.00 USD",
    }
    write(huge, tone=tone, length=length)  # parse_texts raises if over a limit


def test_it_is_labelled_as_the_offline_writer_and_costs_nothing():
    writer = OfflineWriter()
    assert "Offline" in writer.label and "no AI" in writer.label
    assert not writer.paid


def test_the_article_fits_the_product_type_and_medium_keeps_the_owners_words():
    facts = {**FACTS, "product_type": "Outdoor planter"}

    texts, _ = write(facts, length="medium")

    assert "an outdoor planter made to be used" in texts.description_html
    assert "Hand thrown &lt;and&gt; glazed." in texts.description_html
    short, _ = write(facts, length="short")
    assert "Hand thrown" not in short.description_html
