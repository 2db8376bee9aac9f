"""The users and addresses API."""

from typing import Any

import msgspec
from flask import Blueprint, Response, url_for
from flask.views import MethodView
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import Conflict, NotFound
from werkzeug.routing import IntegerConverter

from .db import get_session
from .models import Address, User
from .schemas import AddressCreate, UserCreate, UserUpdate, address_to_dict, user_to_dict
from .validation import json_body

bp = Blueprint("users", __name__, url_prefix="/api/users")


class IdConverter(IntegerConverter):
    """A positive id that fits the database's 32-bit integer column; anything else is a 404."""

    def __init__(self, map, *args: Any, **kwargs: Any) -> None:
        super().__init__(map, min=1, max=2**31 - 1)


@bp.record_once
def _register_converter(state) -> None:
    state.app.url_map.converters["id"] = IdConverter


class UserCollection(MethodView):
    def get(self) -> dict[str, Any]:
        users = get_session().scalars(select(User).order_by(User.id))
        return {"items": [user_to_dict(user) for user in users]}

    def post(self) -> tuple[dict[str, Any], int, dict[str, str]]:
        body = json_body(UserCreate)
        user = User(name=body.name, email=body.email.lower())
        _commit(user)
        return user_to_dict(user), 201, {"Location": url_for("users.user", user_id=user.id)}


class UserItem(MethodView):
    def get(self, user_id: int) -> dict[str, Any]:
        return user_to_dict(_get_user(user_id))

    def patch(self, user_id: int) -> dict[str, Any]:
        body = json_body(UserUpdate)
        user = _get_user(user_id)
        if body.name is not msgspec.UNSET:
            user.name = body.name
        if body.email is not msgspec.UNSET:
            user.email = body.email.lower()
        _commit(user)
        return user_to_dict(user)

    def delete(self, user_id: int) -> Response:
        session = get_session()
        session.delete(_get_user(user_id))
        session.commit()
        return Response(status=204)


class AddressCollection(MethodView):
    def get(self, user_id: int) -> dict[str, Any]:
        return {"items": [address_to_dict(address) for address in _get_user(user_id).addresses]}

    def post(self, user_id: int) -> tuple[dict[str, Any], int]:
        body = json_body(AddressCreate)
        user = _get_user(user_id)
        address = Address(street=body.street, city=body.city)
        user.addresses.append(address)
        _commit(address)
        return address_to_dict(address), 201


# One rule per path (Werkzeug reports 405 instead of 404 when a converter rejects the id of
# a path that several rules share), hence method views.
bp.add_url_rule("", view_func=UserCollection.as_view("users"))
bp.add_url_rule("/<id:user_id>", view_func=UserItem.as_view("user"))
bp.add_url_rule("/<id:user_id>/addresses", view_func=AddressCollection.as_view("addresses"))


def _get_user(user_id: int) -> User:
    user = get_session().get(User, user_id)
    if user is None:
        raise NotFound(f"There is no user with id {user_id}.")
    return user


def _commit(obj: object) -> None:
    session = get_session()
    session.add(obj)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict("A user with this email already exists.") from None
