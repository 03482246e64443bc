"""A store's look and page settings, from its ``store_settings`` table.

Keys read (each a JSON string): ``display_name``, ``accent_colour``
(``#rrggbb``), ``ga_measurement_id`` and ``privacy_policy`` (plain text shown
on the store's privacy page). A value that is missing or malformed falls back
to the default rather than breaking the shop. The text colour on the accent
is picked for contrast, so an owner's colour never makes buttons unreadable.

Looks are remembered per store for ``ttl`` seconds in each worker.
"""

import hashlib
import re
import time
from dataclasses import dataclass

from storefront_svc.config import measurement_id
from storefront_svc.memo import PerStoreMemo
from tenancy import ConfigError

DEFAULT_ACCENT = "#1f4e79"
KEYS = ("display_name", "accent_colour", "ga_measurement_id", "privacy_policy")
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


@dataclass(frozen=True)
class StoreLook:
    name: str
    accent: str = DEFAULT_ACCENT
    ga_id: str | None = None
    privacy_text: str | None = None

    @property
    def accent_text(self):
        """Black or white, whichever reads better on the accent colour."""
        luminance = _luminance(self.accent)
        on_white = (luminance + 0.05) / 0.05
        on_black = 1.05 / (luminance + 0.05)
        return "#000000" if on_white > on_black else "#ffffff"

    @property
    def version(self):
        """Changes when the theme does; used to bust the theme's cache."""
        return hashlib.sha256(self.accent.encode()).hexdigest()[:8]


class Looks(PerStoreMemo):
    """StoreLook per store, remembered for ``ttl`` seconds."""

    def __init__(self, *, ttl, clock=time.monotonic):
        super().__init__(load_look, ttl=ttl, clock=clock)


def load_look(tenant):
    # TODO(#6): read through the settings service the dashboard writes with,
    # once it exists; until then this is the storefront's one settings query.
    with tenant.connection() as conn:
        rows = conn.execute(
            """SELECT key, value #>> '{}' FROM store_settings
               WHERE key = ANY(%s) AND jsonb_typeof(value) = 'string'""",
            (list(KEYS),),
        ).fetchall()
    settings = dict(rows)

    name = (settings.get("display_name") or "").strip()[:100]
    accent = settings.get("accent_colour") or ""
    try:
        ga_id = measurement_id(settings.get("ga_measurement_id"))
    except ConfigError:  # a malformed id turns analytics off, not the shop
        ga_id = None
    return StoreLook(
        name=name or tenant.store.display_name,
        accent=accent.lower() if _COLOUR.fullmatch(accent) else DEFAULT_ACCENT,
        ga_id=ga_id,
        privacy_text=(settings.get("privacy_policy") or "").strip() or None,
    )


def _luminance(colour):
    """WCAG relative luminance of ``#rrggbb``."""
    channels = []
    for i in (1, 3, 5):
        c = int(colour[i : i + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4)
    red, green, blue = channels
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue
