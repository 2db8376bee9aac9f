"""Request bodies (msgspec Structs: strict types, no unknown fields) and response shapes."""

from typing import Annotated, Any

import msgspec
from sqlalchemy import Row

from .models import CITY_MAX, EMAIL_MAX, NAME_MAX, STREET_MAX, Address, User

# Text: not blank, no control characters (databases refuse NUL; logs and terminals the rest).
TEXT_PATTERN = r"^(?=.*\S)[^\x00-\x1f\x7f]+\Z"
# A pragmatic address check: one @, no spaces or control characters, a dot in the domain.
EMAIL_PATTERN = r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+\Z"

TEXT = {
    "pattern": TEXT_PATTERN,
    "extra": {"error": "Expected text, not blank, no control characters"},
}

Name = Annotated[str, msgspec.Meta(max_length=NAME_MAX, **TEXT)]
Email = Annotated[
    str,
    msgspec.Meta(
        max_length=EMAIL_MAX, pattern=EMAIL_PATTERN, extra={"error": "Expected an email address"}
    ),
]
Street = Annotated[str, msgspec.Meta(max_length=STREET_MAX, **TEXT)]
City = Annotated[str, msgspec.Meta(max_length=CITY_MAX, **TEXT)]


class UserCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    email: Email


class UserUpdate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    email: Email | msgspec.UnsetType = msgspec.UNSET


class AddressCreate(msgspec.Struct, forbid_unknown_fields=True):
    street: Street
    city: City


def address_to_dict(address: Address | Row) -> dict[str, Any]:
    return {"id": address.id, "street": address.street, "city": address.city}


def user_to_dict(user: User | Row, addresses: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A user (an ORM object, or a row of the users table with its `addresses` given)."""
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "created_at": user.created_at.isoformat(timespec="microseconds"),
        "addresses": [address_to_dict(address) for address in user.addresses]
        if addresses is None
        else addresses,
    }
