"""The offline writer: copy composed from the product's own details, no network.

It is the default when no provider key is set and the last resort when every
provider fails, and it costs no credits: it spends nothing at a provider.
It sees the same allow-listed facts a provider would, so what the owner
ticked shapes its text too, and it answers in the same JSON form, so its
texts pass through the same strict reading as a model's.
"""

import html
import json

from .output import LIMITS
from .writers import OFFLINE, Reply, Writer

_OPENINGS = {
    "friendly": "Meet {the}{title}",
    "professional": "Introducing {the}{title}",
    "playful": "Say hello to {the}{title}",
    "luxurious": "Discover {the}{title}",
    "minimal": "{title}",
}


class OfflineWriter(Writer):
    name = OFFLINE
    model = "templates-v1"
    label = "Offline writer (composed from the product's details, no AI)"

    def write(self, request):
        # TODO(#7): the templates are English only; other languages need
        # their own templates before the offline writer can honour them.
        facts, options = request.facts, request.options
        texts = {
            "description_html": _description(facts, options.tone, options.length),
            "seo_title": _seo_title(facts),
            "meta_description": _meta_description(facts, options.tone),
            "alt_text": _alt_text(facts),
        }
        return Reply(json.dumps(texts), self.model, 0, 0)


def _description(facts, tone, length):
    parts = {"intro": f"<p>{html.escape(_intro(facts, tone))}</p>"}
    option_items = [
        f"<li><strong>{html.escape(name)}:</strong> {html.escape(_join(values))}</li>"
        for name, values in facts.get("options", {}).items()
    ]
    if option_items and length != "short":
        parts["options"] = f"<ul>{''.join(option_items)}</ul>"
    if length != "short" and facts.get("description"):
        # NOTE: the owner's own words are the best facts the template has.
        about = _clip(facts["description"], 1500 if length == "long" else 600)
        parts["about"] = f"<p>{html.escape(about)}</p>"
    if length == "long" and facts.get("tags"):
        parts["range"] = (
            f"<p>Part of our {html.escape(_join(facts['tags']))} range.</p>"
        )
    if facts.get("price"):
        parts["price"] = f"<p>{html.escape(_price_sentence(facts['price']))}</p>"

    # Long facts can overflow the limit: drop the least useful parts first.
    for dropped in (None, "range", "about", "options"):
        parts.pop(dropped, None)
        text = "".join(parts.values())
        if len(text) <= LIMITS["description_html"]:
            break
    return text


def _intro(facts, tone):
    title = facts["title"]
    the = "" if title.lower().startswith(("the ", "a ", "an ")) else "the "
    sentence = _OPENINGS[tone].format(the=the, title=title)
    if facts.get("vendor"):
        sentence += f" by {facts['vendor']}"
    if facts.get("product_type"):
        kind = facts["product_type"].lower()
        article = "an" if kind[:1] in "aeiou" else "a"
        sentence += f", {article} {kind} made to be used and enjoyed"
    return sentence + "."


def _seo_title(facts):
    title = facts["title"]
    vendor = facts.get("vendor")
    if vendor and len(title) + len(vendor) + 3 <= 60:
        return f"{title} | {vendor}"
    return _clip(title, 70)


def _meta_description(facts, tone):
    sentences = [_intro(facts, tone)]
    for name, values in facts.get("options", {}).items():
        sentences.append(f"{name}: {_join(values)}.")
    if facts.get("price"):
        sentences.append(_price_sentence(facts["price"]))
    return _clip(" ".join(sentences), 160)


def _alt_text(facts):
    text = facts["title"]
    if facts.get("product_type"):
        text += f", {facts['product_type'].lower()}"
    if facts.get("vendor"):
        text += f" by {facts['vendor']}"
    return _clip(text, 125)


def _price_sentence(price):
    return f"Priced at {price}." if " to " not in price else f"Priced from {price}."


def _join(values):
    values = [str(v) for v in values]
    if len(values) <= 1:
        return "".join(values)
    return ", ".join(values[:-1]) + " and " + values[-1]


def _clip(text, limit):
    """``text`` cut at a word boundary to fit ``limit`` characters."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:.")
    return cut + "…"
