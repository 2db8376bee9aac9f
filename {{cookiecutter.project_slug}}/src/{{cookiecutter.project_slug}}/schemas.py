"""Request bodies (msgspec Structs: strict types, no unknown fields) and response shapes."""

from typing import Annotated, Any

import msgspec

from .models import CITY_MAX, EMAIL_MAX, NAME_MAX, STREET_MAX, Address, User

# A pragmatic address check: one @, no spaces, a dot in the domain.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=NAME_MAX, pattern=r"\S")]
Email = Annotated[str, msgspec.Meta(max_length=EMAIL_MAX, pattern=EMAIL_PATTERN)]
Street = Annotated[str, msgspec.Meta(min_length=1, max_length=STREET_MAX, pattern=r"\S")]
City = Annotated[str, msgspec.Meta(min_length=1, max_length=CITY_MAX, pattern=r"\S")]


class UserCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    email: Email


class UserUpdate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    email: Email | msgspec.UnsetType = msgspec.UNSET


class AddressCreate(msgspec.Struct, forbid_unknown_fields=True):
    street: Street
    city: City


def address_to_dict(address: Address) -> dict[str, Any]:
    return {"id": address.id, "street": address.street, "city": address.city}


def user_to_dict(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "created_at": user.created_at.isoformat(),
        "addresses": [address_to_dict(address) for address in user.addresses],
    }
