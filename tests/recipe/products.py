"""The products API: products with an exact price, each belonging to a user (its owner)."""

from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated
from typing import Any

import msgspec
from flask import Blueprint
from flask import Response
from flask import url_for
from flask.views import MethodView
from sqlalchemy import BigInteger
from sqlalchemy import ForeignKey
from sqlalchemy import Row
from sqlalchemy import String
from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship
{%- if cookiecutter.use_eager_loading %}
from sqlalchemy.orm import selectinload
{%- endif %}
from werkzeug.exceptions import NotFound
{% if cookiecutter.use_caching %}
from .caching import cached
{%- endif %}
from .db import Base
from .db import get_session
from .errors import ValidationFailed
from .models import MAX_ID
from .models import NAME_MAX
from .models import User
from .openapi import operation
{%- if cookiecutter.use_pagination %}
from .pagination_{{ cookiecutter.pagination_style }} import paginate
{%- endif %}
from .schemas import TEXT
{%- if cookiecutter.use_pagination %}
from .schemas import Page
{%- endif %}
from .validation import json_body

bp = Blueprint("products", __name__, url_prefix="/api/products")
{%- if cookiecutter.use_caching %}
cached(bp, "users")  # an answer holds its owner's name: a write to users makes it stale
{%- endif %}
NO_PRODUCT = "No such product"
PRICE_PATTERN = r"^(0|[1-9][0-9]{0,9})(\.[0-9]{1,2})?\Z"  # exact: at most 2 decimals


class Product(Base):
    __tablename__ = "products"
{%- if cookiecutter.database == "sqlite" %}
    __table_args__ = ({"sqlite_autoincrement": True},)
{%- endif %}

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    price_cents: Mapped[int] = mapped_column(BigInteger)  # money in whole cents: exact anywhere
{%- if cookiecutter.use_eager_loading %}
    owner: Mapped[User] = relationship(lazy="raise")  # load it explicitly (selectinload)
{%- else %}
    owner: Mapped[User] = relationship()
{%- endif %}


class ProductCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(max_length=NAME_MAX, **TEXT)]
    price: Annotated[
        str,
        msgspec.Meta(
            pattern=PRICE_PATTERN,
            description="A decimal number, as a string: kept exactly",
            extra={"error": "Expected a price such as 12.50"},
        ),
    ]
    owner_id: Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]


class Owner(msgspec.Struct):
    id: int
    name: str


class ProductOut(msgspec.Struct):
    id: int
    name: str
    price: Decimal
    owner: Owner
{%- if cookiecutter.use_pagination %}


class ProductPage(Page):
    items: list[ProductOut]
{%- else %}


class ProductList(msgspec.Struct):
    items: list[ProductOut]
{%- endif %}


def product_to_dict(product: Product) -> dict[str, Any]:
    owner = product.owner
    return {
        "id": product.id,
        "name": product.name,
        "price": Decimal(product.price_cents).scaleb(-2),
        "owner": {"id": owner.id, "name": owner.name},
    }


def _products_to_dicts(rows: Sequence[Row[Any]]) -> list[dict[str, Any]]:
    return [product_to_dict(product) for (product,) in rows]

{% if cookiecutter.use_eager_loading %}
# Products with their owners, loaded for all of them by one extra SELECT ... IN.
PRODUCTS = select(Product).options(selectinload(Product.owner))
{%- else %}
# Products; each one's owner loads on first access, one query per owner.
PRODUCTS = select(Product)
{%- endif %}


class ProductCollection(MethodView):
{%- if cookiecutter.use_pagination %}
    @operation(
        "listProducts",
        "A page of products in id order, with their owners",
        {200: ProductPage},
        paginated=True,
    )
    def get(self) -> dict[str, Any]:
        return paginate(PRODUCTS, key=Product.id, serialize=_products_to_dicts)
{%- else %}
    @operation("listProducts", "Every product in id order, with its owner", {200: ProductList})
    def get(self) -> dict[str, Any]:
        rows = get_session().execute(PRODUCTS.order_by(Product.id)).all()
        return {"items": _products_to_dicts(rows)}
{%- endif %}

    @operation(
        "createProduct", "Create a product", {201: ProductOut}, body=ProductCreate, location=True
    )
    def post(self) -> tuple[dict[str, Any], int, dict[str, str]]:
        body = json_body(ProductCreate)
        session = get_session()
        owner = session.get(User, body.owner_id)
        if owner is None:
            raise ValidationFailed({"owner_id": "No such user"})
        price_cents = int(Decimal(body.price) * 100)
        product = Product(name=body.name, price_cents=price_cents, owner=owner)
        session.add(product)
        try:
            session.commit()
        except IntegrityError:  # the owner was deleted meanwhile
            session.rollback()
            raise ValidationFailed({"owner_id": "No such user"}) from None
        location = url_for("products.product", product_id=product.id)
        return product_to_dict(product), 201, {"Location": location}


class ProductItem(MethodView):
    @operation("getProduct", "A product with its owner", {200: ProductOut, 404: NO_PRODUCT})
    def get(self, product_id: int) -> dict[str, Any]:
        product = get_session().scalar(PRODUCTS.where(Product.id == product_id))
        if product is None:
            raise NotFound(f"There is no product with id {product_id}.")
        return product_to_dict(product)

    @operation("deleteProduct", "Delete a product", {204: None, 404: NO_PRODUCT})
    def delete(self, product_id: int) -> Response:
        session = get_session()
        deleted = delete(Product).where(Product.id == product_id).returning(Product.id)
        if session.scalar(deleted) is None:
            raise NotFound(f"There is no product with id {product_id}.")
        session.commit()
        response = Response(status=204)
        del response.headers["Content-Type"]
        return response


bp.add_url_rule("", view_func=ProductCollection.as_view("products"))
bp.add_url_rule("/<id:product_id>", view_func=ProductItem.as_view("product"))
