"""N+1 avoidance: addresses load with one SELECT ... IN for all users, and lazy loads raise."""

import pytest
from sql_counter import count_statements
from sqlalchemy.exc import InvalidRequestError

from {{ cookiecutter.project_slug }} import db
from {{ cookiecutter.project_slug }}.models import User


def seed(app, users: int, addresses_per_user: int = 2) -> None:
    args = ["seed", "--users", str(users), "--addresses-per-user", str(addresses_per_user)]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output


def statements_to_list_users(app, client, users: int) -> int:
    seed(app, users)
    with app.app_context():
        engine = db.get_engine()
    with count_statements(engine) as statements:
        response = client.get("/api/users")
    assert response.status_code == 200
    assert all(len(user["addresses"]) == 2 for user in response.json["items"])
    return len(statements)


def test_listing_users_takes_as_many_statements_for_200_users_as_for_1(make_app):
    counts = []
    for users in (1, 10, 200):
        app = make_app()
        with app.app_context():
            db.drop_all()
            db.create_all()
        counts.append(statements_to_list_users(app, app.test_client(), users))
    assert counts[0] == counts[1] == counts[2]
    assert counts[0] <= 3


def test_touching_an_unloaded_relationship_raises_instead_of_querying(app, make_user):
    user_id = make_user()["id"]
    with app.app_context():
        user = db.get_session().get(User, user_id)
        with pytest.raises(InvalidRequestError, match="lazy='raise'"):
            _ = user.addresses
