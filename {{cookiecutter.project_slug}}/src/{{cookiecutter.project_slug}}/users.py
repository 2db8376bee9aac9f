"""The users and addresses API."""

from collections.abc import Sequence
{%- if cookiecutter.use_eager_loading %}
from datetime import datetime
{%- endif %}
from typing import Any
from typing import cast

import msgspec
from email_validator import EmailNotValidError
from email_validator import validate_email
from flask import Blueprint
from flask import Response
from flask import url_for
from flask.blueprints import BlueprintSetupState
from flask.views import MethodView
from sqlalchemy import CursorResult
from sqlalchemy import Row
from sqlalchemy import Select
{%- if cookiecutter.use_eager_loading %}
from sqlalchemy import bindparam
{%- endif %}
from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
{%- if cookiecutter.use_eager_loading %}
from sqlalchemy.orm import selectinload
{%- endif %}
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import Conflict
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter
from werkzeug.routing import Map
{% if cookiecutter.use_caching %}
from .caching import cached
{%- endif %}
from .db import get_session
from .errors import ValidationFailed
from .models import ADDRESSES_MAX
from .models import EMAIL_MAX
from .models import MAX_ID
from .models import Address
from .models import User
from .openapi import operation
{%- if cookiecutter.use_pagination %}
from .pagination_{{ cookiecutter.pagination_style }} import paginate
{%- endif %}
from .schemas import Address as AddressOut
from .schemas import AddressCreate
from .schemas import AddressList
from .schemas import User as UserOut
from .schemas import UserCreate
{%- if cookiecutter.use_pagination %}
from .schemas import UserPage
{%- else %}
from .schemas import UserList
{%- endif %}
from .schemas import UserUpdate
from .schemas import address_to_dict
from .schemas import user_to_dict
from .validation import json_body

bp = Blueprint("users", __name__, url_prefix="/api/users")
{%- if cookiecutter.use_caching %}
cached(bp)
{%- endif %}
DUPLICATE_EMAIL = "A user with this email already exists."
NO_USER = "No such user"
TAKEN = "The email belongs to another user"


class IdConverter(IntegerConverter):
    """A positive id that fits the database's 32-bit integer column; anything else is a 404."""

    regex = r"[1-9][0-9]{0,9}"  # ASCII digits only, no leading zeros

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=1, max=MAX_ID)


@bp.record_once
def _register_converter(state: BlueprintSetupState) -> None:
    state.app.url_map.converters["id"] = IdConverter


class UserCollection(MethodView):
{%- if cookiecutter.use_pagination %}
    @operation(
        "listUsers",
{%- if cookiecutter.pagination_style == "cursor" %}
        "A page of users in id order, with their addresses; follow `next_cursor`",
{%- else %}
        "A page of users in id order, with their addresses",
{%- endif %}
        {200: UserPage},
        paginated=True,
    )
    def get(self) -> dict[str, Any]:
        return paginate(LIST_QUERY, key=User.id, serialize=_users_to_dicts)
{%- else %}
    @operation("listUsers", "Every user in id order, with their addresses", {200: UserList})
    def get(self) -> dict[str, Any]:
        return {"items": _users_to_dicts(get_session().execute(LIST_QUERY.order_by(User.id)).all())}
{%- endif %}

    @operation(
        "createUser", "Create a user", {201: UserOut, 409: TAKEN}, body=UserCreate, location=True
    )
    def post(self) -> tuple[dict[str, Any], int, dict[str, str]]:
        body = json_body(UserCreate)
        user = User(name=body.name, email=_normalized_email(body.email), addresses=[])
        _commit(user, Conflict(DUPLICATE_EMAIL))
        return user_to_dict(user), 201, {"Location": url_for("users.user", user_id=user.id)}


class UserItem(MethodView):
    @operation("getUser", "A user with its addresses", {200: UserOut, 404: NO_USER})
    def get(self, user_id: int) -> dict[str, Any]:
        return user_to_dict(_get_user(user_id))

    @operation(
        "updateUser",
        "Change a user's name and/or email",
        {200: UserOut, 404: NO_USER, 409: TAKEN},
        body=UserUpdate,
    )
    def patch(self, user_id: int) -> dict[str, Any]:
        body = json_body(UserUpdate)
        user = _get_user(user_id)
        if body.name is not msgspec.UNSET:
            user.name = body.name
        if body.email is not msgspec.UNSET:
            user.email = _normalized_email(body.email)
        _commit(user, Conflict(DUPLICATE_EMAIL))
        return user_to_dict(user)

    @operation("deleteUser", "Delete a user and its addresses", {204: None, 404: NO_USER})
    def delete(self, user_id: int) -> Response:
        # One statement: the database deletes the addresses (ON DELETE CASCADE). Deleted
        # meanwhile by another request, the user is a 404, as it would be a moment later.
        session = get_session()
        # A DELETE gives a CursorResult, which has the rowcount; execute() is typed for any.
        result = cast("CursorResult[Any]", session.execute(delete(User).where(User.id == user_id)))
        if result.rowcount == 0:
            raise NotFound(f"There is no user with id {user_id}.")
        session.commit()
        response = Response(status=204)
        del response.headers["Content-Type"]  # no body, no type
        return response


class AddressCollection(MethodView):
    @operation("listAddresses", "A user's addresses", {200: AddressList, 404: NO_USER})
    def get(self, user_id: int) -> dict[str, Any]:
        return {"items": [address_to_dict(address) for address in _get_user(user_id).addresses]}

    @operation(
        "createAddress",
        "Add an address to a user",
        {201: AddressOut, 404: NO_USER, 409: f"The user already has {ADDRESSES_MAX} addresses"},
        body=AddressCreate,
    )
    def post(self, user_id: int) -> tuple[dict[str, Any], int]:
        body = json_body(AddressCreate)
        user = _get_user(user_id)
        if len(user.addresses) >= ADDRESSES_MAX:
            raise Conflict(f"A user has at most {ADDRESSES_MAX} addresses.")
        address = Address(street=body.street, city=body.city)
        user.addresses.append(address)
        _commit(address, NotFound(f"There is no user with id {user_id}."))  # deleted meanwhile
        return address_to_dict(address), 201


# One rule per path (Werkzeug reports 405 instead of 404 when a converter rejects the id of
# a path that several rules share), hence method views.
bp.add_url_rule("", view_func=UserCollection.as_view("users"))
bp.add_url_rule("/<id:user_id>", view_func=UserItem.as_view("user"))
bp.add_url_rule("/<id:user_id>/addresses", view_func=AddressCollection.as_view("addresses"))

{% if cookiecutter.use_eager_loading %}
def _user_query() -> Select[User]:
    """Users with their addresses, loaded for all of them by one extra SELECT ... IN."""
    return select(User).options(selectinload(User.addresses))


# The list is read as plain rows (SQLAlchemy Core): a read-only answer needs no ORM objects,
# identity map or attribute instrumentation, which cost most of its time. Two statements,
# whatever the number of users; both are compiled once and cached by SQLAlchemy.
USERS, ADDRESSES = User.__table__, Address.__table__
LIST_QUERY = select(USERS.c.id, USERS.c.name, USERS.c.email, USERS.c.created_at)
ADDRESSES_OF_USERS = (
    select(ADDRESSES.c.user_id, ADDRESSES.c.id, ADDRESSES.c.street, ADDRESSES.c.city)
    .where(ADDRESSES.c.user_id.between(bindparam("first"), bindparam("last")))
    .order_by(ADDRESSES.c.user_id, ADDRESSES.c.id)
)


def _users_to_dicts(rows: Sequence[Row[int, str, str, datetime]]) -> list[dict[str, Any]]:
    """Users read in id order, with their addresses from one more SELECT.

    The rows hold every user whose id lies between their first and last (a list or a page in
    id order), so their addresses are those with a user_id in that range: two bound integers,
    not an IN list that grows with the page."""
    if not rows:
        return []
    addresses_of: dict[int, list[dict[str, Any]]] = {user.id: [] for user in rows}
    bounds = {"first": rows[0].id, "last": rows[-1].id}
    # Fetched at once and unpacked: the hottest loop of the list (address_to_dict's shape).
    rows_of_addresses = get_session().execute(ADDRESSES_OF_USERS, bounds).all()
    for user_id, address_id, street, city in rows_of_addresses:
        addresses = addresses_of.get(user_id)  # None: a user added since the first read
        if addresses is not None:
            addresses.append({"id": address_id, "street": street, "city": city})
    return [user_to_dict(user, addresses_of[user.id]) for user in rows]
{%- else %}
def _user_query() -> Select[User]:
    """Users; their addresses load on first access, one query per user."""
    return select(User)


LIST_QUERY = _user_query()


def _users_to_dicts(rows: Sequence[Row[User]]) -> list[dict[str, Any]]:
    """Users as ORM objects; each one's addresses load on first access, one query per user."""
    return [user_to_dict(user) for (user,) in rows]
{%- endif %}


def _get_user(user_id: int) -> User:
    user = get_session().scalar(_user_query().where(User.id == user_id))
    if user is None:
        raise NotFound(f"There is no user with id {user_id}.")
    return user


def _normalized_email(email: str) -> str:
    """Emails are stored lowercase; lowercasing can lengthen some characters ("İ"). What is
    stored is an address mail software accepts (email-validator's syntax rules, internationalized
    addresses included, no DNS lookup), as /openapi.json's `format: idn-email` promises."""
    email = email.lower()
    if len(email) > EMAIL_MAX:
        raise ValidationFailed({"email": f"Expected `str` of length <= {EMAIL_MAX}"})
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as error:
        raise ValidationFailed({"email": f"Expected an email address: {error}"}) from None
    return email


def _commit(obj: object, on_integrity_error: HTTPException) -> None:
    session = get_session()
    session.add(obj)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise on_integrity_error from None
    except StaleDataError:  # the UPDATE found no row: another request deleted the user
        session.rollback()
        raise NotFound("The user was deleted meanwhile.") from None
