from datetime import datetime
from datetime import timedelta

import pytest
from conftest import MakeUser
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy import text

from {{ cookiecutter.project_slug }} import users
from {{ cookiecutter.project_slug }}.models import User


def test_create_user_returns_201_with_location_and_the_user(client: FlaskClient) -> None:
    response = client.post("/api/users", json={"name": "Ada", "email": "ada@example.com"})
    assert response.status_code == 201
    user = response.get_json()
    assert response.headers["Location"] == f"/api/users/{user['id']}"
    assert user["name"] == "Ada"
    assert user["email"] == "ada@example.com"
    assert user["addresses"] == []


def test_created_at_is_iso_8601_in_utc_and_reads_back_unchanged(
    client: FlaskClient, make_user: MakeUser
) -> None:
    user = make_user()
    created_at = datetime.fromisoformat(user["created_at"])
    assert created_at.utcoffset() == timedelta(0)
    assert client.get(f"/api/users/{user['id']}").get_json()["created_at"] == user["created_at"]


def test_emails_are_stored_lowercase(make_user: MakeUser) -> None:
    assert make_user(email="Ada@Example.COM")["email"] == "ada@example.com"


def test_internationalized_email_addresses_are_accepted(make_user: MakeUser) -> None:
    assert make_user(email="Zo\u00eb@Ex\u00e4mple.com")["email"] == "zo\u00eb@ex\u00e4mple.com"


@pytest.mark.parametrize(
    "email",
    [
        "\u011b\u00fe@\u00b2\u00e3.m\u00ec\u00ab",  # not a domain name (IDNA)
        "ada@example..com",
        ".ada@example.com",
        "ada@-example.com",
        "ada@example.com-",
    ],
)
def test_addresses_mail_software_refuses_are_422(client: FlaskClient, email: str) -> None:
    response = client.post("/api/users", json={"name": "Ada", "email": email})
    assert response.status_code == 422
    assert response.get_json()["details"]["email"].startswith("Expected an email address")


def test_get_user_returns_the_user(client: FlaskClient, make_user: MakeUser) -> None:
    user = make_user()
    response = client.get(f"/api/users/{user['id']}")
    assert response.status_code == 200
    assert response.json == user


def test_list_users_returns_every_user_in_id_order(
    client: FlaskClient, make_user: MakeUser
) -> None:
    users = [make_user() for _ in range(3)]
    response = client.get("/api/users")
    assert response.status_code == 200
    assert response.get_json()["items"] == users


def test_list_users_is_empty_without_users(client: FlaskClient) -> None:
    assert client.get("/api/users").get_json()["items"] == []


def test_patch_changes_only_the_given_fields(client: FlaskClient, make_user: MakeUser) -> None:
    user = make_user()
    response = client.patch(f"/api/users/{user['id']}", json={"name": "Grace"})
    assert response.status_code == 200
    assert response.json == {**user, "name": "Grace"}
    assert client.get(f"/api/users/{user['id']}").get_json()["name"] == "Grace"


def test_patch_can_change_the_email(client: FlaskClient, make_user: MakeUser) -> None:
    user = make_user()
    response = client.patch(f"/api/users/{user['id']}", json={"email": "new@example.com"})
    assert response.get_json()["email"] == "new@example.com"


def test_non_ascii_text_is_sent_as_utf_8(client: FlaskClient, make_user: MakeUser) -> None:
    user = make_user(name="Zo\u00eb \u6771\u4eac")
    response = client.get(f"/api/users/{user['id']}")
    assert "Zo\u00eb \u6771\u4eac".encode() in response.data


def test_delete_returns_204_and_the_user_is_gone(client: FlaskClient, make_user: MakeUser) -> None:
    user = make_user()
    response = client.delete(f"/api/users/{user['id']}")
    assert response.status_code == 204
    assert response.data == b""
    assert "Content-Type" not in response.headers
    assert client.get(f"/api/users/{user['id']}").status_code == 404


def test_a_user_deleted_by_another_request_during_a_patch_is_a_404_not_a_500(
    client: FlaskClient, make_user: MakeUser, cleaner: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = make_user()
    load = users._get_user

    def load_then_lose_the_race(user_id: int) -> User:
        found = load(user_id)
        with cleaner.begin() as connection:  # another request deletes the user meanwhile
            connection.execute(text("DELETE FROM users WHERE id = :id"), {"id": user_id})
        return found

    monkeypatch.setattr(users, "_get_user", load_then_lose_the_race)
    response = client.patch(f"/api/users/{user['id']}", json={"name": "Late"})
    assert response.status_code == 404
    assert response.json == {"error": "not-found", "message": "The user was deleted meanwhile."}


def test_the_id_of_a_deleted_user_is_never_given_again(
    client: FlaskClient, make_user: MakeUser
) -> None:
    user = make_user()
    assert client.delete(f"/api/users/{user['id']}").status_code == 204
    assert make_user()["id"] > user["id"]


def test_deleting_a_user_twice_is_a_404_the_second_time(
    client: FlaskClient, make_user: MakeUser
) -> None:
    user = make_user()
    assert client.delete(f"/api/users/{user['id']}").status_code == 204
    assert client.delete(f"/api/users/{user['id']}").status_code == 404


def test_duplicate_email_on_create_is_409_and_changes_nothing(
    client: FlaskClient, make_user: MakeUser
) -> None:
    make_user(email="taken@example.com")
    response = client.post("/api/users", json={"name": "Other", "email": "TAKEN@example.com"})
    assert response.status_code == 409
    assert response.get_json()["error"] == "conflict"
    assert len(client.get("/api/users").get_json()["items"]) == 1


def test_duplicate_email_on_patch_is_409_and_keeps_the_old_email(
    client: FlaskClient, make_user: MakeUser
) -> None:
    make_user(email="taken@example.com")
    user = make_user()
    response = client.patch(f"/api/users/{user['id']}", json={"email": "taken@example.com"})
    assert response.status_code == 409
    assert client.get(f"/api/users/{user['id']}").get_json()["email"] == user["email"]
