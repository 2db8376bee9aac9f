"""Cursor pagination: every user exactly once, stable under inserts, constant cost per page."""

from collections.abc import Callable

import pytest
from conftest import MakeApp
from conftest import MakeUser
from conftest import Seed
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeSerializer
from sql_counter import count_statements

from {{ cookiecutter.project_slug }} import config
from {{ cookiecutter.project_slug }} import db

MakeCursor = Callable[[Flask, FlaskClient], str]  # a cursor this API did not issue


def walk(
    client: FlaskClient,
    per_page: int,
    cursor: str | None = None,
    on_page: Callable[[], object] | None = None,
) -> list[int]:
    """Follow next_cursor to the end; return the ids seen, in order."""
    seen: list[int] = []
    while True:
        query = {"per_page": per_page} | ({"cursor": cursor} if cursor else {})
        response = client.get("/api/users", query_string=query)
        assert response.status_code == 200, response.json
        assert response.get_json().keys() == {"items", "next_cursor"}
        seen += [user["id"] for user in response.get_json()["items"]]
        cursor = response.get_json()["next_cursor"]
        if on_page:
            on_page()
        if cursor is None:
            return seen


def test_walking_every_page_returns_every_user_exactly_once(
    client: FlaskClient, seed: Seed
) -> None:
    seed(23)
    seen = walk(client, per_page=5)
    assert len(seen) == 23
    assert seen == sorted(set(seen))


def test_an_empty_list_has_no_next_cursor(client: FlaskClient) -> None:
    assert client.get("/api/users").json == {"items": [], "next_cursor": None}


def test_inserts_while_walking_cause_no_duplicates_and_skip_no_earlier_user(
    client: FlaskClient, make_user: MakeUser, seed: Seed
) -> None:
    seed(12)
    before = [user["id"] for user in client.get("/api/users?per_page=100").get_json()["items"]]
    seen = walk(client, per_page=4, on_page=make_user)
    assert [user_id for user_id in seen if user_id in before] == before
    assert len(seen) == len(set(seen))


def test_a_deep_page_takes_as_many_statements_as_the_first(
    app: Flask, client: FlaskClient, seed: Seed
) -> None:
    seed(60)
    with app.app_context():
        engine = db.get_engine()
    with count_statements(engine) as first:
        cursor = client.get("/api/users?per_page=10").get_json()["next_cursor"]
    for _ in range(4):
        cursor = client.get(
            "/api/users", query_string={"per_page": 10, "cursor": cursor}
        ).get_json()["next_cursor"]
    with count_statements(engine) as deep:
        response = client.get("/api/users", query_string={"per_page": 10, "cursor": cursor})
    assert response.get_json()["next_cursor"] is None
    assert len(deep) == len(first)
    assert "users.id >" in deep[0]  # a keyset range, not rows skipped one by one


def forged(app: Flask, payload: object) -> str:
    return URLSafeSerializer(app.config["SECRET_KEY"], salt="cursor").dumps(payload)


def tampered(client: FlaskClient) -> str:
    cursor = client.get("/api/users?per_page=1").get_json()["next_cursor"]
    payload, signature = cursor.rsplit(".", 1)
    return f"{payload[:-2]}{'A' if payload[-2] != 'A' else 'B'}{payload[-1]}.{signature}"


def test_an_empty_cursor_is_the_first_page(client: FlaskClient, seed: Seed) -> None:
    seed(3)
    first = client.get("/api/users?per_page=2")
    response = client.get("/api/users?per_page=2&cursor=")
    assert response.status_code == 200
    assert response.json == first.json


def test_a_tampered_cursor_is_400(client: FlaskClient, seed: Seed) -> None:
    seed(3)
    response = client.get("/api/users", query_string={"cursor": tampered(client)})
    assert response.status_code == 400
    assert "cursor" in response.get_json()["message"]


@pytest.mark.slow
@pytest.mark.parametrize(
    "make_cursor",
    [
        pytest.param(lambda app, client: "not-a-cursor", id="garbage"),
        pytest.param(lambda app, client: tampered(client), id="tampered"),
        pytest.param(
            lambda app, client: URLSafeSerializer("other-key", salt="cursor").dumps(
                {"v": 1, "after": 1}
            ),
            id="signed-with-another-key",
        ),
        pytest.param(lambda app, client: forged(app, {"v": 0, "after": 1}), id="stale-format"),
        pytest.param(lambda app, client: forged(app, {"v": 1, "after": "1; DROP"}), id="not-an-id"),
        pytest.param(lambda app, client: forged(app, {"v": 1, "after": 2**63}), id="out-of-range"),
        pytest.param(lambda app, client: forged(app, [1, 2]), id="wrong-shape"),
    ],
)
def test_a_cursor_the_api_did_not_issue_is_400(
    app: Flask, client: FlaskClient, make_cursor: MakeCursor, seed: Seed
) -> None:
    seed(3)
    response = client.get("/api/users", query_string={"cursor": make_cursor(app, client)})
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad-request"
    assert "cursor" in response.get_json()["message"]


def test_a_retired_key_listed_as_a_fallback_still_verifies_its_cursors(
    make_app: MakeApp, seed: Seed
) -> None:
    seed(3)
    old_key, new_key = "old-key-" * 4, "new-key-" * 4
    cursor = make_app(SECRET_KEY=old_key).test_client().get("/api/users?per_page=1").get_json()
    page_2 = {"per_page": 1, "cursor": cursor["next_cursor"]}
    without_fallback = make_app(SECRET_KEY=new_key).test_client()
    assert without_fallback.get("/api/users", query_string=page_2).status_code == 400
    rotated = make_app(SECRET_KEY=new_key, SECRET_KEY_FALLBACKS=[old_key]).test_client()
    response = rotated.get("/api/users", query_string=page_2)
    assert response.status_code == 200
    assert len(response.get_json()["items"]) == 1


def test_retired_secret_keys_are_read_as_a_comma_separated_list() -> None:
    values = config.from_env("/tmp", {"SECRET_KEY_FALLBACKS": "one,two"})
    assert values["SECRET_KEY_FALLBACKS"] == ["one", "two"]
    assert config.from_env("/tmp", {})["SECRET_KEY_FALLBACKS"] == []
