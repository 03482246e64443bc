"""Sanitising HTML that came from outside: imports and AI writers.

Only formatting survives: no scripts, styles, event handlers, forms or frames,
and links get ``rel="noopener noreferrer nofollow"``.
"""

import nh3

ALLOWED_TAGS = {
    "a", "b", "blockquote", "br", "caption", "code", "dd", "div", "dl", "dt", "em",
    "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s",
    "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th",
    "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
URL_SCHEMES = {"http", "https", "mailto"}
MAX_LENGTH = 200_000


def sanitise_html(html):
    """Return ``html`` with everything but harmless formatting removed."""
    if not html:
        return ""
    return nh3.clean(
        html[:MAX_LENGTH],
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    ).strip()


def plain_text(html, limit=None):
    """The text of an HTML fragment, for meta descriptions and previews."""
    text = nh3.clean(html or "", tags=set())
    text = " ".join(text.split())
    if limit and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text
