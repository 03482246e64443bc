"""Reading posted HTML forms.

Forms are ``application/x-www-form-urlencoded``; anything else posted to a
form is refused with 415. A field sent twice keeps its first value, and every
value is text, so services never see a list where they expect a string.
"""

from dataclasses import dataclass, field

import falcon

FORM = "application/x-www-form-urlencoded"
MAX_ID = 2**62


def read_form(req):
    """The posted fields as {name: text}; parsed once per request."""
    cached = req.context.get("form_fields")
    if cached is not None:
        return cached

    if not (req.content_type or "").lower().startswith(FORM):
        raise falcon.HTTPUnsupportedMediaType(description="Send the form as a form.")
    media = req.get_media(default_when_empty={}) or {}
    fields = {
        str(name): value[0] if isinstance(value, list) else str(value)
        for name, value in media.items()
    }
    req.context.form_fields = fields
    return fields


@dataclass(frozen=True)
class FormPage:
    """The page to show again, with the shopper's input, if a service refuses it.

    ``more()`` returns whatever else the template needs; it is called only
    when the page is shown again.
    """

    template: str
    values: dict
    more: object = field(default=None)

    def context(self):
        extra = self.more() if self.more else {}
        return {"values": self.values, **extra}


def show_again_on_error(req, template, values, more=None):
    """Ask the error handlers to redisplay ``template`` if the service refuses."""
    req.context.form_page = FormPage(template, values, more)


def read_id(fields, name):
    """A positive database id from a form field, or None."""
    raw = (fields.get(name) or "").strip()
    if not raw.isdigit() or not 0 < int(raw) < MAX_ID:
        return None
    return int(raw)
