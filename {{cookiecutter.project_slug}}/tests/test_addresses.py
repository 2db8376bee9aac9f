from conftest import MakeUser
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select

from {{ cookiecutter.project_slug }}.db import get_session
from {{ cookiecutter.project_slug }}.models import ADDRESSES_MAX
from {{ cookiecutter.project_slug }}.models import Address


def test_create_address_returns_201_and_the_address(
    client: FlaskClient, make_user: MakeUser
) -> None:
    user = make_user()
    body = {"street": "1 Infinite Loop", "city": "Cupertino"}
    response = client.post(f"/api/users/{user['id']}/addresses", json=body)
    assert response.status_code == 201
    assert response.get_json().keys() == {"id", "street", "city"}
    assert isinstance(response.get_json()["id"], int)
    assert response.json == {"id": response.get_json()["id"], **body}


def test_addresses_are_listed_in_creation_order_and_embedded_in_the_user(
    client: FlaskClient, make_user: MakeUser
) -> None:
    user = make_user()
    created = [
        client.post(
            f"/api/users/{user['id']}/addresses", json={"street": f"{n} Main St", "city": "Paris"}
        ).get_json()
        for n in range(3)
    ]
    assert client.get(f"/api/users/{user['id']}/addresses").json == {"items": created}
    assert client.get(f"/api/users/{user['id']}").get_json()["addresses"] == created
    assert client.get("/api/users").get_json()["items"][0]["addresses"] == created


def test_a_user_holds_at_most_addresses_max_addresses_and_one_more_is_a_409(
    app: Flask, client: FlaskClient, make_user: MakeUser
) -> None:
    user = make_user()
    with app.app_context():
        session = get_session()
        for n in range(ADDRESSES_MAX - 1):
            session.add(Address(user_id=user["id"], street=f"{n} Main St", city="Paris"))
        session.commit()
    url = f"/api/users/{user['id']}/addresses"
    assert client.post(url, json={"street": "The last", "city": "Paris"}).status_code == 201
    response = client.post(url, json={"street": "One more", "city": "Paris"})
    assert response.status_code == 409
    assert response.get_json()["message"] == f"A user has at most {ADDRESSES_MAX} addresses."
    assert len(client.get(url).get_json()["items"]) == ADDRESSES_MAX


def test_addresses_of_an_unknown_user_are_404(client: FlaskClient) -> None:
    assert client.get("/api/users/999/addresses").status_code == 404
    response = client.post("/api/users/999/addresses", json={"street": "x", "city": "y"})
    assert response.status_code == 404
    assert response.get_json()["error"] == "not-found"


def test_deleting_a_user_deletes_its_addresses(
    app: Flask, client: FlaskClient, make_user: MakeUser
) -> None:
    user = make_user()
    client.post(f"/api/users/{user['id']}/addresses", json={"street": "x", "city": "y"})
    assert client.delete(f"/api/users/{user['id']}").status_code == 204
    with app.app_context():
        assert get_session().scalar(select(func.count()).select_from(Address)) == 0
