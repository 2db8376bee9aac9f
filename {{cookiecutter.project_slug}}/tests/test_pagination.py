"""Pages are bounded: `per_page` has a default and a maximum, and bad values are a 400."""

import pytest
from conftest import MakeApp
from conftest import Seed
from flask.testing import FlaskClient

from {{ cookiecutter.project_slug }} import config
from {{ cookiecutter.project_slug }}.config import ConfigError


def test_a_page_holds_per_page_default_users(client: FlaskClient, seed: Seed) -> None:
    seed(60)
    assert len(client.get("/api/users").get_json()["items"]) == 50


def test_per_page_up_to_the_maximum_is_honoured(client: FlaskClient, seed: Seed) -> None:
    seed(120)
    assert len(client.get("/api/users?per_page=100").get_json()["items"]) == 100
    assert len(client.get("/api/users?per_page=7").get_json()["items"]) == 7


@pytest.mark.slow
@pytest.mark.parametrize("value", ["0", "-1", "abc", "1.5", "+5", " 5", "", "101", "9" * 40])
def test_per_page_that_is_not_a_whole_number_from_1_to_the_maximum_is_400(
    client: FlaskClient, value: str
) -> None:
    response = client.get("/api/users", query_string={"per_page": value})
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad-request"
    assert "per_page" in response.get_json()["message"]


def test_per_page_over_the_maximum_is_400(client: FlaskClient) -> None:
    response = client.get("/api/users?per_page=101")
    assert response.status_code == 400
    assert "per_page" in response.get_json()["message"]


def test_default_and_maximum_are_configurable(make_app: MakeApp, seed: Seed) -> None:
    app = make_app(PER_PAGE_DEFAULT=3, PER_PAGE_MAX=5)
    seed(10)
    client = app.test_client()
    assert len(client.get("/api/users").get_json()["items"]) == 3
    assert client.get("/api/users?per_page=6").status_code == 400


def test_page_size_settings_come_from_the_environment() -> None:
    values = config.from_env("/tmp", {"PER_PAGE_DEFAULT": "20", "PER_PAGE_MAX": "40"})
    assert (values["PER_PAGE_DEFAULT"], values["PER_PAGE_MAX"]) == (20, 40)
    with pytest.raises(ConfigError, match="PER_PAGE_DEFAULT"):
        config.from_env("/tmp", {"PER_PAGE_DEFAULT": "50", "PER_PAGE_MAX": "10"})


@pytest.mark.parametrize("value", ["none", "100000000000000000000"])
def test_an_unusable_per_page_max_is_rejected_naming_the_variable(value: str) -> None:
    with pytest.raises(ConfigError, match="PER_PAGE_MAX"):
        config.from_env("/tmp", {"PER_PAGE_MAX": value})
