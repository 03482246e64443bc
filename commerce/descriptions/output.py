"""Reading a writer's answer, which is untrusted: strictly, then sanitised.

The answer must be one JSON object with exactly the four keys of ``Texts``,
each a string. The description keeps only simple formatting (first the
shared import policy, ``commerce.html.sanitise_html``, then a narrower one:
AI copy has no reason to link anywhere or embed anything); the other three
become plain text. Anything malformed, empty or over its limit is refused
rather than trimmed, so that the owner never reviews a half sentence.
"""

import html
import json
import re
from dataclasses import dataclass

import nh3

from commerce.html import plain_text, sanitise_html

from .errors import OutputRejected

LIMITS = {
    "description_html": 5000,
    "seo_title": 70,
    "meta_description": 160,
    "alt_text": 125,
}
DESCRIPTION_TAGS = {"p", "ul", "ol", "li", "strong", "em", "b", "i", "br", "h3", "h4"}
MAX_ANSWER = 50_000
_FENCE = re.compile(r"\A```(?:json)?\s*\n(.*)\n```\Z", re.DOTALL)


@dataclass(frozen=True)
class Texts:
    """The four texts a writer proposes for one product."""

    description_html: str
    seo_title: str
    meta_description: str
    alt_text: str

    def as_dict(self):
        return {name: getattr(self, name) for name in LIMITS}


def parse_texts(answer, writer):
    """The Texts in ``answer``, cleaned; raise OutputRejected saying why."""
    data = _load_object(answer, writer)
    if set(data) != set(LIMITS):
        raise OutputRejected(writer, f"expected exactly the keys {', '.join(LIMITS)}")
    for name, value in data.items():
        if not isinstance(value, str):
            raise OutputRejected(writer, f"{name} is not a string")

    cleaned = {
        "description_html": clean_description(data["description_html"]),
        "seo_title": clean_plain(data["seo_title"]),
        "meta_description": clean_plain(data["meta_description"]),
        "alt_text": clean_plain(data["alt_text"]),
    }
    for name, value in cleaned.items():
        if not value:
            raise OutputRejected(writer, f"{name} is empty")
        if len(value) > LIMITS[name]:
            raise OutputRejected(
                writer, f"{name} has {len(value)} characters, over {LIMITS[name]}"
            )
    return Texts(**cleaned)


def clean_description(raw):
    """Simple formatting only: no links, images, tables, scripts or styles."""
    shared = sanitise_html(raw)
    return nh3.clean(shared, tags=DESCRIPTION_TAGS, attributes={}).strip()


def clean_plain(raw):
    """Text without markup, angle brackets or runs of whitespace.

    These texts end up in attributes and <title>; templates escape them, and
    dropping angle brackets as well keeps an escaped tag from coming back.
    """
    text = html.unescape(plain_text(raw))
    return " ".join(text.replace("<", " ").replace(">", " ").split())


def _load_object(answer, writer):
    text = (answer or "").strip()
    if len(text) > MAX_ANSWER:
        raise OutputRejected(writer, f"the answer is over {MAX_ANSWER} characters")
    fenced = _FENCE.match(text)
    if fenced:
        # Models often wrap JSON in a Markdown fence even when told not to;
        # that wrapper is harmless, anything else around the object is not.
        text = fenced.group(1)

    try:
        data = json.loads(text, object_pairs_hook=_refuse_duplicates)
    except ValueError as exc:
        reason = f"not a JSON object ({_first_words(exc)})"
        raise OutputRejected(writer, reason) from None
    if not isinstance(data, dict):
        raise OutputRejected(writer, "not a JSON object")
    return data


def _refuse_duplicates(pairs):
    keys = [key for key, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError("a key appears twice")
    return dict(pairs)


def _first_words(exc):
    return str(exc).split(":")[0][:80]
