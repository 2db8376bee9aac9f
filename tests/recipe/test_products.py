"""Products get what users get: exact prices, their owner embedded and kept current, ETag too
{%- if cookiecutter.use_eager_loading %}, statements constant in the number of owners
{%- endif %}{% if cookiecutter.use_pagination %}, bounded pages{% endif %}
{%- if cookiecutter.use_caching %}, cache hits without SQL, invalidated by their own writes and
by their owners'{% endif %}{% if cookiecutter.use_compression %}, compressed lists{% endif %}."""
{% if cookiecutter.use_compression %}
import gzip
import json
{%- endif %}
from collections.abc import Callable
from typing import Any

import pytest
from conftest import MakeUser
{%- if cookiecutter.use_eager_loading or cookiecutter.use_pagination or cookiecutter.use_caching %}
from flask import Flask
{%- endif %}
from flask.testing import FlaskClient
{%- if cookiecutter.use_eager_loading or cookiecutter.use_caching %}
from sql_counter import count_statements
{%- endif %}

MakeProduct = Callable[..., dict[str, Any]]  # make_product(owner_id, price=..., name=...)


@pytest.fixture
def make_product(client: FlaskClient) -> MakeProduct:
    """Create a product through the API and return its JSON."""

    def make(owner_id: int, price: str = "9.99", name: str = "Widget") -> dict[str, Any]:
        body = {"name": name, "price": price, "owner_id": owner_id}
        response = client.post("/api/products", json=body)
        assert response.status_code == 201, response.json
        product: dict[str, Any] = response.get_json()
        return product

    return make


def test_a_price_comes_back_exactly_as_a_decimal_string(
    client: FlaskClient, make_user: MakeUser, make_product: MakeProduct
) -> None:
    owner = make_user()
    product = make_product(owner["id"], price="9876543210.05")
    assert product["price"] == "9876543210.05"
    assert client.get(f"/api/products/{product['id']}").get_json()["price"] == "9876543210.05"
    assert client.get("/api/products").get_json()["items"][0]["price"] == "9876543210.05"


@pytest.mark.parametrize("price", ["1.005", "-1", "1e3", "NaN", "", "01"])
def test_a_price_that_is_not_exact_to_the_cent_is_422(
    client: FlaskClient, make_user: MakeUser, price: str
) -> None:
    body = {"name": "Widget", "price": price, "owner_id": make_user()["id"]}
    response = client.post("/api/products", json=body)
    assert response.status_code == 422
    assert "price" in response.get_json()["details"]


def test_a_product_of_no_user_is_422(client: FlaskClient) -> None:
    response = client.post("/api/products", json={"name": "W", "price": "1", "owner_id": 4242})
    assert response.status_code == 422
    assert response.get_json()["details"] == {"owner_id": "No such user"}


def test_a_product_shows_its_owners_current_name_and_goes_with_them(
    client: FlaskClient, make_user: MakeUser, make_product: MakeProduct
) -> None:
    owner = make_user()
    url = f"/api/products/{make_product(owner['id'])['id']}"
    assert client.get(url).get_json()["owner"] == {"id": owner["id"], "name": owner["name"]}
    client.patch(f"/api/users/{owner['id']}", json={"name": "Renamed"})
    assert client.get(url).get_json()["owner"]["name"] == "Renamed"
    assert client.get("/api/products").get_json()["items"][0]["owner"]["name"] == "Renamed"
    client.delete(f"/api/users/{owner['id']}")
    assert client.get(url).status_code == 404
    assert client.get("/api/products").get_json()["items"] == []


def test_a_products_etag_is_revalidated_and_changes_with_its_owners_name(
    client: FlaskClient, make_user: MakeUser, make_product: MakeProduct
) -> None:
    owner = make_user()
    for url in ("/api/products", f"/api/products/{make_product(owner['id'])['id']}"):
        etag = client.get(url).headers["ETag"]
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304
        assert again.data == b""
        client.patch(f"/api/users/{owner['id']}", json={"name": f"Renamed for {url}"})
        renamed = client.get(url, headers={"If-None-Match": etag})
        assert renamed.status_code == 200
        assert renamed.headers["ETag"] != etag


def test_a_deleted_product_is_gone_and_a_second_delete_is_404(
    client: FlaskClient, make_user: MakeUser, make_product: MakeProduct
) -> None:
    url = f"/api/products/{make_product(make_user()['id'])['id']}"
    assert client.get(url).status_code == 200
    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404
    assert client.delete(url).status_code == 404


def test_the_description_lists_the_products_operations(client: FlaskClient) -> None:
    paths = client.get("/openapi.json").get_json()["paths"]
    ids = {operation["operationId"] for operation in paths["/api/products"].values()}
    assert ids == {"listProducts", "createProduct"}
    assert paths["/api/products/{product_id}"]["get"]["operationId"] == "getProduct"
{%- if cookiecutter.use_eager_loading %}


def test_listing_products_takes_as_many_statements_for_20_owners_as_for_1(
    app: Flask, client: FlaskClient, make_user: MakeUser, make_product: MakeProduct
) -> None:
    counts = []
    for owners in (1, 20):
        for _ in range(owners):
            make_product(make_user()["id"])
        with count_statements(app) as statements:
            response = client.get(f"/api/products?size={owners}")  # a fresh URL for each size
        assert len({item["owner"]["id"] for item in response.get_json()["items"]}) >= owners
        counts.append(len(statements))
    assert counts[0] == counts[1]
{%- endif %}
{%- if cookiecutter.use_pagination %}


def test_a_page_holds_at_most_per_page_products_and_the_walk_ends(
    client: FlaskClient, make_user: MakeUser, make_product: MakeProduct
) -> None:
    owner = make_user()["id"]
    created = [make_product(owner)["id"] for _ in range(3)]
    first = client.get("/api/products?per_page=2").get_json()
    assert [item["id"] for item in first["items"]] == created[:2]
{%- if cookiecutter.pagination_style == "cursor" %}
    query = {"per_page": 2, "cursor": first["next_cursor"]}
    second = client.get("/api/products", query_string=query).get_json()
    assert second["next_cursor"] is None
{%- else %}
    assert (first["total"], first["pages"]) == (3, 2)
    second = client.get("/api/products?per_page=2&page=2").get_json()
{%- endif %}
    assert [item["id"] for item in second["items"]] == created[2:]


def test_per_page_over_the_maximum_is_400(app: Flask, client: FlaskClient) -> None:
    over = app.config["PER_PAGE_MAX"] + 1
    assert client.get(f"/api/products?per_page={over}").status_code == 400
{%- endif %}
{%- if cookiecutter.use_caching %}


def test_a_cache_hit_executes_no_sql_and_returns_the_same_body(
    app: Flask, client: FlaskClient, make_user: MakeUser, make_product: MakeProduct
) -> None:
    product = make_product(make_user()["id"])
    for url in ("/api/products", f"/api/products/{product['id']}"):
        with count_statements(app) as misses:
            first = client.get(url)
        with count_statements(app) as hits:
            second = client.get(url)
        assert len(misses) > 0
        assert len(hits) == 0
        assert second.data == first.data


def test_its_own_writes_and_its_owners_invalidate_it_and_other_writes_do_not(
    app: Flask, client: FlaskClient, make_user: MakeUser, make_product: MakeProduct
) -> None:
    owner = make_user()
    client.get("/api/products")
    client.post(f"/api/users/{owner['id']}/addresses", json={"street": "1 Main", "city": "X"})
    # a write to users: the owner's name could have changed
    with count_statements(app) as after_an_owner_write:
        client.get("/api/products")
    assert len(after_an_owner_write) > 0
    product = make_product(owner["id"])
    listed = client.get("/api/products").get_json()["items"]
    assert [item["id"] for item in listed] == [product["id"]]
    client.delete(f"/api/products/{product['id']}")
    assert client.get("/api/products").get_json()["items"] == []
    client.get("/api/users")
    make_product(owner["id"])
    with count_statements(app) as users_after_a_product_write:
        client.get("/api/users")  # users do not show products
    assert len(users_after_a_product_write) == 0
{%- endif %}
{%- if cookiecutter.use_compression %}


def test_a_list_of_products_is_compressed_and_decodes_to_the_same_json(
    client: FlaskClient, make_user: MakeUser, make_product: MakeProduct
) -> None:
    owner = make_user()["id"]
    for number in range(20):
        make_product(owner, price=f"{number}.50")
    plain = client.get("/api/products", headers={"Accept-Encoding": "identity"})
    packed = client.get("/api/products", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert len(packed.data) * 3 <= len(plain.data)
    assert json.loads(gzip.decompress(packed.data)) == plain.json
{%- endif %}
