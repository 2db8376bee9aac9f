"""Conditional requests: every API read carries a strong ETag and must be revalidated; a client
sending back the current ETag gets a 304 without a body; every write changes the ETags of what
it shows."""

import pytest
from conftest import MakeUser
from flask.testing import FlaskClient
from werkzeug.test import TestResponse


def revalidate(
    client: FlaskClient, url: str, if_none_match: str, method: str = "GET"
) -> TestResponse:
    return client.open(url, method=method, headers={"If-None-Match": if_none_match})


def urls(client: FlaskClient, make_user: MakeUser) -> list[str]:
    user = make_user()
    client.post(f"/api/users/{user['id']}/addresses", json={"street": "1 Main", "city": "X"})
    return ["/api/users", f"/api/users/{user['id']}", f"/api/users/{user['id']}/addresses"]


def test_every_read_carries_a_strong_etag_and_must_be_revalidated(
    client: FlaskClient, make_user: MakeUser
) -> None:
    for url in [*urls(client, make_user), "/openapi.json"]:
        response = client.get(url)
        assert response.status_code == 200
        etag, weak = response.get_etag()
        assert etag
        assert not weak
        assert response.headers["Cache-Control"] == "no-cache"


def test_the_current_etag_in_if_none_match_is_a_304_without_a_body(
    client: FlaskClient, make_user: MakeUser
) -> None:
    for url in [*urls(client, make_user), "/openapi.json"]:
        first = client.get(url)
        for method in ("GET", "HEAD"):
            again = revalidate(client, url, first.headers["ETag"], method)
            assert again.status_code == 304
            assert again.data == b""
            assert again.headers["ETag"] == first.headers["ETag"]
            assert again.headers["Cache-Control"] == "no-cache"
            assert again.headers.get("Vary") == first.headers.get("Vary")
            assert "Content-Type" not in again.headers


@pytest.mark.parametrize(
    "if_none_match",
    ["W/{etag}", '"other", {etag}', '"other",W/{etag} , "more"', "*"],
    ids=["weak", "in-a-list", "weak-in-a-list", "star"],
)
def test_if_none_match_uses_the_weak_comparison_lists_and_star(
    client: FlaskClient, make_user: MakeUser, if_none_match: str
) -> None:
    url = f"/api/users/{make_user()['id']}"
    etag = client.get(url).headers["ETag"]
    assert revalidate(client, url, if_none_match.format(etag=etag)).status_code == 304


@pytest.mark.parametrize("if_none_match", ['"other"', 'W/"other"', "", '"{etag}"'])
def test_an_if_none_match_that_does_not_match_gets_the_full_answer(
    client: FlaskClient, make_user: MakeUser, if_none_match: str
) -> None:
    url = f"/api/users/{make_user()['id']}"
    first = client.get(url)
    again = revalidate(client, url, if_none_match.format(etag=first.headers["ETag"]))
    assert again.status_code == 200
    assert again.data == first.data


def test_every_write_changes_the_etags_of_what_it_shows(
    client: FlaskClient, make_user: MakeUser
) -> None:
    user = make_user()
    item, addresses = f"/api/users/{user['id']}", f"/api/users/{user['id']}/addresses"
    watched = ["/api/users", item, addresses]
    before = {url: client.get(url).headers["ETag"] for url in watched}
    client.patch(item, json={"name": "Renamed"})
    after_rename = {url: client.get(url).headers["ETag"] for url in watched}
    assert after_rename["/api/users"] != before["/api/users"]
    assert after_rename[item] != before[item]
    assert after_rename[addresses] == before[addresses]  # the same body: the same ETag
    client.post(addresses, json={"street": "2 High St", "city": "Y"})
    for url in watched:
        current = client.get(url)
        assert current.headers["ETag"] != after_rename[url]
        assert revalidate(client, url, after_rename[url]).status_code == 200


def test_errors_and_health_probes_carry_no_etag_and_are_never_stored(
    client: FlaskClient,
) -> None:
    for url in ("/api/users/424242", "/healthz", "/readyz"):
        response = revalidate(client, url, "*")
        assert response.status_code != 304
        assert "ETag" not in response.headers
        assert response.headers["Cache-Control"] == "no-store"


def test_a_write_ignores_if_none_match(client: FlaskClient, make_user: MakeUser) -> None:
    url = f"/api/users/{make_user()['id']}"
    response = client.patch(url, json={"name": "New"}, headers={"If-None-Match": "*"})
    assert response.status_code == 200
    assert response.get_json()["name"] == "New"
