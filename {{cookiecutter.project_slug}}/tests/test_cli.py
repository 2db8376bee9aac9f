from sqlalchemy import func, inspect, select

from {{ cookiecutter.project_slug }} import db
from {{ cookiecutter.project_slug }}.models import Address, User


def count(app, model) -> int:
    with app.app_context():
        return db.get_session().scalar(select(func.count()).select_from(model))


def test_init_db_creates_the_tables(make_app):
    app = make_app()
    with app.app_context():
        db.drop_all()
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert {"users", "addresses"} <= set(inspect(db.get_engine()).get_table_names())


def test_seed_inserts_users_with_addresses(app):
    result = app.test_cli_runner().invoke(
        args=["seed", "--users", "25", "--addresses-per-user", "3"]
    )
    assert result.exit_code == 0, result.output
    assert count(app, User) == 25
    assert count(app, Address) == 75


def test_seed_twice_adds_more_users_without_conflicts(app, client):
    runner = app.test_cli_runner()
    runner.invoke(args=["seed", "--users", "5"])
    result = runner.invoke(args=["seed", "--users", "5", "--addresses-per-user", "0"])
    assert result.exit_code == 0, result.output
    assert count(app, User) == 10
    users = client.get("/api/users").json["items"]
    assert len({user["email"] for user in users}) == 10


def test_seed_rejects_a_negative_count(app):
    result = app.test_cli_runner().invoke(args=["seed", "--users", "-1"])
    assert result.exit_code == 2
    assert "--users" in result.output
