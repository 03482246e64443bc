"""Errors raised by the store's domain services.

Each names what was wrong and where, and carries no personal data::

    CommerceError
    ├── NotFound             no such product, variant, location, order
    ├── InvalidInput         a field's value is refused
    ├── Conflict             a unique value (handle, SKU, barcode) is taken
    ├── InsufficientStock    not enough available to sell, move or reserve
    └── ImageRejected        an upload is not an acceptable image
"""


class CommerceError(Exception):
    """Base class of the errors the store's services raise on purpose."""


class NotFound(CommerceError):
    def __init__(self, kind, key):
        self.kind = kind
        self.key = key
        super().__init__(f"no {kind} {key!r}")


class InvalidInput(CommerceError):
    def __init__(self, field, problem):
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


class Conflict(CommerceError):
    def __init__(self, field, value):
        self.field = field
        self.value = value
        super().__init__(f"{field} {value!r} is already used in this store")


class InsufficientStock(CommerceError):
    def __init__(self, sku, location, available, wanted):
        self.sku = sku
        self.location = location
        self.available = available
        self.wanted = wanted
        super().__init__(
            f"only {available} of {sku or 'this variant'} available at {location}, "
            f"{wanted} needed"
        )


class ImageRejected(CommerceError):
    def __init__(self, reason):
        self.reason = reason
        super().__init__(f"image refused: {reason}")
