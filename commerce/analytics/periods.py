"""Periods of whole days in a store's own time zone, and the store's today.

A day starts at the store's midnight: an order placed at 23:30 in New York
belongs to that New York day, whatever the date in UTC. Periods are inclusive
of both ends, as an owner reads "1 to 31 March".
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from commerce.errors import InvalidInput

GRAINS = ("day", "week", "month")
DEFAULT_DAYS = 30


@dataclass(frozen=True)
class Period:
    """The days from ``start`` to ``end``, both included."""

    start: date
    end: date

    def __post_init__(self):
        if self.end < self.start:
            raise InvalidInput("period", f"ends ({self.end}) before it starts")

    @property
    def days(self):
        return (self.end - self.start).days + 1

    def previous(self):
        """The period of equal length that ends the day before this one starts."""
        end = self.start - timedelta(days=1)
        return Period(end - timedelta(days=self.days - 1), end)

    def __str__(self):
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


def store_zone(timezone):
    """The ZoneInfo of a store's time zone name, or InvalidInput."""
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput("timezone", f"{timezone!r} is not a time zone") from None


def today_in(timezone, clock):
    """The store's current date; ``clock()`` returns an aware datetime."""
    return clock().astimezone(store_zone(timezone)).date()


def system_clock():
    return datetime.now(UTC)


def last_days(today, days=DEFAULT_DAYS):
    """The ``days`` days that end with ``today``."""
    if days < 1:
        raise InvalidInput("days", "must be at least 1")
    return Period(today - timedelta(days=days - 1), today)


def period_between(start, end, today, days=DEFAULT_DAYS):
    """A period from optional ends: a missing end is today, a missing start is
    ``days`` days before the end."""
    end = end or today
    start = start or end - timedelta(days=days - 1)
    return Period(start, end)


def bucket_start(day, grain):
    """The first day of the week (Monday, ISO) or month that holds ``day``."""
    if grain == "day":
        return day
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    raise InvalidInput("grain", f"must be one of {', '.join(GRAINS)}")
