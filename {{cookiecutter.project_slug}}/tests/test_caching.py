"""Response caching: hits touch no database, keys include the query string, writes invalidate,
through the API or not."""

from collections.abc import Callable
from typing import Any

import pytest
from conftest import MakeApp
from conftest import MakeUser
from conftest import Seed
from flask import Blueprint
from flask import Flask
from flask import request
from flask.testing import FlaskClient
from sql_counter import count_statements
from sqlalchemy import insert
from werkzeug.test import TestResponse

from {{ cookiecutter.project_slug }} import caching
from {{ cookiecutter.project_slug }} import db
from {{ cookiecutter.project_slug }}.caching import cache
from {{ cookiecutter.project_slug }}.models import User


def statements(
    app: Flask, client: FlaskClient, url: str, **kwargs: Any
) -> tuple[int, TestResponse]:
    """How many SQL statements a GET of `url` executes, and its response."""
    with app.app_context():
        engine = db.get_engine()
    with count_statements(engine) as executed:
        response = client.get(url, **kwargs)
    return len(executed), response


def counted(view: Callable[..., Any], runs: list[str]) -> Callable[..., Any]:
    """`view`, noting each run in `runs`."""

    def run(**arguments: Any) -> Any:
        runs.append(request.path)
        return view(**arguments)

    return run


def emails(client: FlaskClient) -> list[str]:
    return [user["email"] for user in client.get("/api/users").get_json()["items"]]


def write_behind_the_cache(app: Flask, email: str) -> None:
    """A write that does not go through the API: a script, a migration, another service."""
    with app.app_context():
        session = db.get_session()
        session.execute(insert(User).values(name="Direct", email=email))
        session.commit()


def test_a_cache_hit_executes_no_sql_and_returns_the_same_body(
    app: Flask, client: FlaskClient, make_user: MakeUser
) -> None:
    user = make_user()
    client.post(f"/api/users/{user['id']}/addresses", json={"street": "1 Main", "city": "X"})
    for url in ("/api/users", f"/api/users/{user['id']}", f"/api/users/{user['id']}/addresses"):
        misses, first = statements(app, client, url)
        hits, second = statements(app, client, url)
        assert misses > 0
        assert hits == 0
        assert second.status_code == 200
        assert second.data == first.data
        assert second.mimetype == "application/json"
{%- if cookiecutter.use_pagination and cookiecutter.pagination_style == "cursor" %}


def test_a_different_cursor_is_not_served_the_first_pages_body(
    client: FlaskClient, make_user: MakeUser
) -> None:
    for _ in range(3):
        make_user()
    first = client.get("/api/users?per_page=1").get_json()
    second = client.get("/api/users", query_string={"per_page": 1, "cursor": first["next_cursor"]})
    assert second.get_json()["items"] != first["items"]
    assert client.get("/api/users?per_page=2").get_json()["items"][:1] == first["items"]
{%- elif cookiecutter.use_pagination %}


def test_page_2_is_not_served_page_1s_body(client: FlaskClient, make_user: MakeUser) -> None:
    for _ in range(3):
        make_user()
    first = client.get("/api/users?per_page=1&page=1").get_json()
    second = client.get("/api/users?per_page=1&page=2").get_json()
    assert second["items"] != first["items"]
    assert second["page"] == 2
{%- else %}


def test_different_paths_and_query_strings_are_different_entries(
    app: Flask, client: FlaskClient, make_user: MakeUser
) -> None:
    first, second = make_user(), make_user()
    assert client.get(f"/api/users/{first['id']}").json == first
    assert client.get(f"/api/users/{second['id']}").json == second
    statements(app, client, "/api/users?view=a")
    misses, _ = statements(app, client, "/api/users?view=b")
    assert misses > 0
{%- endif %}


def test_the_order_of_query_parameters_does_not_matter(
    app: Flask, client: FlaskClient, make_user: MakeUser
) -> None:
    make_user()
    statements(app, client, "/api/users?a=1&b=2")
    hits, _ = statements(app, client, "/api/users?b=2&a=1")
    assert hits == 0


def test_a_repeated_parameter_in_another_order_is_another_entry(
    app: Flask, client: FlaskClient, make_user: MakeUser
) -> None:
    make_user()
    statements(app, client, "/api/users?a=1&a=2")
    misses, _ = statements(app, client, "/api/users?a=2&a=1")  # `args.get` reads the first
    assert misses > 0
    statements(app, client, "/api/users?a=1&%61=2")  # the same name, spelled another way
    misses, _ = statements(app, client, "/api/users?%61=2&a=1")
    assert misses > 0


def test_a_304_on_a_cache_hit_executes_no_sql_and_runs_no_view(
    app: Flask, client: FlaskClient, make_user: MakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = make_user()
    runs: list[str] = []
    for url, endpoint in (
        ("/api/users", "users.users"),
        (f"/api/users/{user['id']}", "users.user"),
    ):
        etag = client.get(url).headers["ETag"]  # a miss, stored
        view = app.view_functions[endpoint]
        monkeypatch.setitem(app.view_functions, endpoint, counted(view, runs))
        hits, response = statements(app, client, url, headers={"If-None-Match": etag})
        assert response.status_code == 304
        assert hits == 0
        assert runs == []


def test_a_304_on_a_miss_stores_the_200_for_the_next_client(
    app: Flask, client: FlaskClient, make_user: MakeUser
) -> None:
    make_user()
    etag = client.get("/api/users").headers["ETag"]
    with app.app_context():
        caching.invalidate()
    misses, not_modified = statements(app, client, "/api/users", headers={"If-None-Match": etag})
    assert misses > 0
    assert not_modified.status_code == 304
    hits, full = statements(app, client, "/api/users")
    assert hits == 0
    assert full.status_code == 200
    assert full.headers["ETag"] == etag
    assert len(full.get_json()["items"]) == 1


def test_errors_are_never_cached(app: Flask, client: FlaskClient) -> None:
    statements(app, client, "/api/users/424242")
    again, response = statements(app, client, "/api/users/424242")
    assert response.status_code == 404
    assert again > 0


def test_every_write_is_visible_to_the_next_read(client: FlaskClient, make_user: MakeUser) -> None:
    assert client.get("/api/users").get_json()["items"] == []
    user = make_user()
    assert [u["id"] for u in client.get("/api/users").get_json()["items"]] == [user["id"]]
    url = f"/api/users/{user['id']}"
    client.get(url)
    client.patch(url, json={"name": "Renamed"})
    assert client.get(url).get_json()["name"] == "Renamed"
    assert client.get("/api/users").get_json()["items"][0]["name"] == "Renamed"
    client.get(f"{url}/addresses")
    client.post(f"{url}/addresses", json={"street": "2 High St", "city": "Y"})
    assert len(client.get(f"{url}/addresses").get_json()["items"]) == 1
    assert len(client.get(url).get_json()["addresses"]) == 1
    client.delete(url)
    assert client.get(url).status_code == 404
    assert client.get("/api/users").get_json()["items"] == []


def test_users_seeded_from_the_command_line_are_in_the_next_read(
    client: FlaskClient, seed: Seed
) -> None:
    assert emails(client) == []  # cached
    seed(users=2)
    assert len(emails(client)) == 2


def test_invalidate_in_an_app_context_makes_a_write_outside_the_api_visible(
    app: Flask, client: FlaskClient
) -> None:
    assert emails(client) == []  # cached
    write_behind_the_cache(app, "direct@example.com")
    assert emails(client) == []  # still the cached answer
    with app.app_context():
        caching.invalidate()
    assert emails(client) == ["direct@example.com"]


def test_a_rejected_write_does_not_invalidate(
    app: Flask, client: FlaskClient, make_user: MakeUser
) -> None:
    make_user(email="taken@example.com")
    client.get("/api/users")
    client.post("/api/users", json={"name": "Dup", "email": "taken@example.com"})
    hits, _ = statements(app, client, "/api/users")
    assert hits == 0


def test_the_timeout_is_configurable(make_app: MakeApp) -> None:
    app = make_app(CACHE_DEFAULT_TIMEOUT=7)
    with app.app_context():
        assert cache.cache.default_timeout == 7


def test_a_cached_answer_carries_the_cors_headers_of_the_origin_asking(make_app: MakeApp) -> None:
    """Access-Control-* headers depend on the Origin, which is not part of the key: they are
    added to every answer, a hit included, and never stored."""
    allowed, other = "http://localhost:3000", "https://elsewhere.example"
    app = make_app(CORS_ORIGINS=[allowed])
    client = app.test_client()
    client.post("/api/users", json={"name": "Ada", "email": "ada@example.com"})
    misses, first = statements(app, client, "/api/users", headers={"Origin": allowed})
    assert misses > 0
    assert first.headers["Access-Control-Allow-Origin"] == allowed
    for headers in ({"Origin": other}, {}):
        hits, response = statements(app, client, "/api/users", headers=headers)
        assert hits == 0
        assert response.data == first.data
        assert not [name for name, _ in response.headers.items() if name.startswith("Access-")]
        assert "Origin" in response.vary
    hits, again = statements(app, client, "/api/users", headers={"Origin": allowed})
    assert hits == 0
    assert again.headers["Access-Control-Allow-Origin"] == allowed
    exposed = "Access-Control-Expose-Headers"
    assert again.headers[exposed] == first.headers[exposed]
    assert ", ".join(again.headers.getlist("Vary")).lower().count("origin") == 1


def test_a_blueprint_that_embeds_users_is_invalidated_by_their_writes_and_its_own_only(
    make_app: MakeApp,
) -> None:
    app = make_app()
    reads: list[str] = []
    directory = caching.cached(Blueprint("directory", __name__), "users")
    notes = Blueprint("notes", __name__)

    @directory.route("/directory", methods=["GET", "POST"])
    def read_or_write() -> dict[str, int]:
        reads.append(request.method)
        return {"reads": len(reads)}

    notes.add_url_rule("/notes", view_func=lambda: ("", 204), methods=["POST"])
    app.register_blueprint(directory)
    app.register_blueprint(notes)
    client = app.test_client()
    for write in ("/notes", "/api/users", "/directory"):
        client.get("/directory")
        client.get("/directory")
        client.post(write, json={"name": "Ada", "email": "ada@example.com"})
    client.get("/directory")
    # a miss at first, none after the notes' write, one after the users' write and its own
    assert reads == ["GET", "GET", "POST", "GET"]
