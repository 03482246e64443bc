"""Money: exact decimals, ISO 4217 currencies and their minor units."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# Currencies whose minor unit is not the usual two decimals (ISO 4217).
_EXPONENTS = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0,
    "KRW": 0, "PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0,
    "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}  # fmt: skip


def exponent(currency):
    """Digits after the decimal point in ``currency``'s minor unit."""
    return _EXPONENTS.get(currency.upper(), 2)


def quantize(amount, currency):
    """Round once, half up, to the currency's minor unit."""
    step = Decimal(1).scaleb(-exponent(currency))
    return Decimal(amount).quantize(step, rounding=ROUND_HALF_UP)


def to_minor_units(amount, currency):
    """An amount as an integer of minor units (cents; yen stay yen)."""
    return int(quantize(amount, currency).scaleb(exponent(currency)))


def from_minor_units(units, currency):
    return Decimal(int(units)).scaleb(-exponent(currency))


def parse_amount(raw, field="amount"):
    """A non-negative Decimal from user text, or InvalidInput naming the field."""
    from commerce.errors import InvalidInput

    if isinstance(raw, Decimal):
        value = raw
    else:
        try:
            value = Decimal(str(raw).strip())
        except InvalidOperation:
            raise InvalidInput(field, f"{raw!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise InvalidInput(field, "must be zero or more")
    return value


def format_money(amount, currency):
    """For display only: ``12.50 USD``."""
    return f"{quantize(amount, currency):,} {currency}"
