"""Offset pagination: every user exactly once, with total and pages; a page past the last is
empty; pages that are not whole numbers from 1 to MAX_PAGE are a 400."""

import pytest
from conftest import Seed
from flask import Flask
from flask.testing import FlaskClient
from sql_counter import count_statements

from {{ cookiecutter.project_slug }} import db


def test_walking_every_page_returns_every_user_exactly_once(
    client: FlaskClient, seed: Seed
) -> None:
    seed(23)
    first = client.get("/api/users?per_page=5").get_json()
    assert (first["page"], first["per_page"], first["total"], first["pages"]) == (1, 5, 23, 5)
    seen = []
    for page in range(1, first["pages"] + 1):
        body = client.get(f"/api/users?per_page=5&page={page}").get_json()
        assert body.keys() == {"items", "page", "per_page", "total", "pages"}
        seen += [user["id"] for user in body["items"]]
    assert len(seen) == 23
    assert seen == sorted(set(seen))


def test_an_empty_list_is_page_1_of_0(client: FlaskClient) -> None:
    assert client.get("/api/users").json == {
        "items": [],
        "page": 1,
        "per_page": 50,
        "total": 0,
        "pages": 0,
    }


def test_the_last_page_takes_as_many_statements_as_the_first(
    app: Flask, client: FlaskClient, seed: Seed
) -> None:
    seed(60)
    with app.app_context():
        engine = db.get_engine()
    with count_statements(engine) as first:
        client.get("/api/users?per_page=10&page=1")
    with count_statements(engine) as last:
        response = client.get("/api/users?per_page=10&page=6")
    assert len(response.get_json()["items"]) == 10
    assert len(last) == len(first)


@pytest.mark.parametrize("page", ["3", "1000000000"])
def test_a_page_past_the_last_is_empty_with_the_current_totals(
    client: FlaskClient, seed: Seed, page: str
) -> None:
    seed(10)
    response = client.get("/api/users", query_string={"per_page": 5, "page": page})
    assert response.status_code == 200
    assert response.json == {
        "items": [],
        "page": int(page),
        "per_page": 5,
        "total": 10,
        "pages": 2,
    }


def test_an_empty_list_has_one_empty_first_page(client: FlaskClient) -> None:
    response = client.get("/api/users?page=1")
    assert response.status_code == 200
    assert response.get_json()["items"] == []
    assert (response.get_json()["total"], response.get_json()["pages"]) == (0, 0)


@pytest.mark.slow
@pytest.mark.parametrize("page", ["0", "-1", "abc", "2.0", "", "1000000001", "9" * 40])
def test_a_page_that_does_not_exist_is_400(client: FlaskClient, page: str, seed: Seed) -> None:
    seed(10)
    response = client.get("/api/users", query_string={"per_page": 5, "page": page})
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad-request"
    assert "page" in response.get_json()["message"]
