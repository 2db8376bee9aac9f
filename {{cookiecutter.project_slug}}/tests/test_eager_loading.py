"""N+1 avoidance: addresses load with one SELECT ... IN for all users, and lazy loads raise."""

import pytest
from conftest import MakeUser
from conftest import Seed
from flask import Flask
from flask.testing import FlaskClient
from sql_counter import count_statements
from sqlalchemy.exc import InvalidRequestError

from {{ cookiecutter.project_slug }} import db
from {{ cookiecutter.project_slug }}.models import User


def test_listing_users_takes_as_many_statements_for_200_users_as_for_1(
    app: Flask, client: FlaskClient, seed: Seed
) -> None:
    with app.app_context():
        engine = db.get_engine()
    counts = []
    for users, more in ((1, 1), (10, 9), (200, 190)):
        seed(more, addresses_per_user=2)
        with count_statements(engine) as statements:
            response = client.get(f"/api/users?size={users}")  # a fresh URL for each size
        assert all(len(user["addresses"]) == 2 for user in response.get_json()["items"])
        counts.append(len(statements))
    assert counts[0] == counts[1] == counts[2]
    assert counts[0] <= 3


def test_touching_an_unloaded_relationship_raises_instead_of_querying(
    app: Flask, make_user: MakeUser
) -> None:
    user_id = make_user()["id"]
    with app.app_context():
        user = db.get_session().get(User, user_id)
        assert user is not None
        with pytest.raises(InvalidRequestError, match="lazy='raise'"):
            _ = user.addresses
