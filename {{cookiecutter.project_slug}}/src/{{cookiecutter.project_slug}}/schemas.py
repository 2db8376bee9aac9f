"""Request bodies (msgspec Structs: strict types, no unknown fields) and response shapes.

The Structs are the single source of truth of the API's contract: request bodies are decoded
and validated with them, and /openapi.json (openapi.py) describes both kinds with their JSON
Schema. Responses are built as plain dicts, the fastest to encode; the fuzzing tests check every
response against these shapes."""

from datetime import datetime
from typing import Annotated
from typing import Any

import msgspec
from sqlalchemy import Row

from . import models
from .models import CITY_MAX
from .models import EMAIL_MAX
from .models import MAX_ID
from .models import NAME_MAX
from .models import STREET_MAX

# C0 and C1 controls, and the line and paragraph separators that some readers break lines on.
CONTROL = r"\x00-\x1f\x7f-\x9f\u2028\u2029"
# Text: not blank, no control characters (databases refuse NUL; logs and terminals the rest).
# No lookahead: the pattern is also a JSON Schema one, which generators and other languages use.
TEXT_PATTERN = rf"^[^{CONTROL}]*[^\s{CONTROL}][^{CONTROL}]*\Z"
# A pragmatic address check: one @, no spaces or control characters, a dot in the domain.
EMAIL_PATTERN = rf"^[^@\s{CONTROL}]+@[^@\s{CONTROL}]+\.[^@\s{CONTROL}]+\Z"

TEXT = {
    "pattern": TEXT_PATTERN,
    "extra": {"error": "Expected text, not blank, no control characters"},
}

Name = Annotated[str, msgspec.Meta(max_length=NAME_MAX, **TEXT)]
Email = Annotated[
    str,
    msgspec.Meta(
        max_length=EMAIL_MAX,
        pattern=EMAIL_PATTERN,
        extra={"error": "Expected an email address"},
        description=(
            "An email address, internationalized ones included; addresses at special-use "
            "domains, which cannot receive mail (.test, .local, .localhost, .invalid, .onion, "
            ".arpa), are refused"
        ),
        extra_json_schema={"format": "idn-email"},
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


Id = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]


class Address(msgspec.Struct):
    id: Id
    street: str
    city: str


class User(msgspec.Struct):
    id: Id
    name: str
    email: Annotated[str, msgspec.Meta(extra_json_schema={"format": "idn-email"})]
    created_at: Annotated[datetime, msgspec.Meta(extra_json_schema={"format": "date-time"})]
    addresses: list[Address]
{%- if cookiecutter.use_pagination and cookiecutter.pagination_style == "cursor" %}


class Page(msgspec.Struct):
    """What every page holds besides its `items`: a subclass declares them."""

    next_cursor: str | None  # null on the last page


class UserPage(Page):
    items: list[User]
{%- elif cookiecutter.use_pagination %}


class Page(msgspec.Struct):
    """What every page holds besides its `items`: a subclass declares them."""

    page: int
    per_page: int
    total: int
    pages: int


class UserPage(Page):
    items: list[User]
{%- else %}


class UserList(msgspec.Struct):
    items: list[User]
{%- endif %}


class AddressList(msgspec.Struct):
    items: list[Address]


class Error(msgspec.Struct):
    error: str  # a short name: "not-found", "validation-failed", ...
    message: str
    details: dict[str, str] | msgspec.UnsetType = msgspec.UNSET  # 422: a message per field


class Health(msgspec.Struct):
    status: str


class Readiness(msgspec.Struct):
    status: str
    # backing service -> "ok" or "unavailable"; the database can also be "not initialised" (no
    # table yet) or have "migrations pending", both unready until `init-db` has run
    checks: dict[str, str]


def address_to_dict(address: models.Address) -> dict[str, Any]:
    return {"id": address.id, "street": address.street, "city": address.city}


def user_to_dict(
    user: models.User | Row[*tuple[Any, ...]], addresses: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
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
