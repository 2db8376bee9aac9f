"""The data model: users and their addresses."""

from datetime import UTC
from datetime import datetime

from sqlalchemy import DateTime
from sqlalchemy import Dialect
from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy import TypeDecorator
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from .db import Base as Base  # re-exported: models and migrations take it from here

MAX_ID = 2**31 - 1  # ids are 32-bit integer columns on every backend
NAME_MAX = 100
EMAIL_MAX = 254
STREET_MAX = 200
CITY_MAX = 100
ADDRESSES_MAX = 20  # per user: every answer that holds a user's addresses stays bounded


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that always comes back timezone-aware and in UTC, whatever the database
    keeps (some keep no offset) or its session time zone is."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class User(Base):
    __tablename__ = "users"
{%- if cookiecutter.database == "sqlite" %}
    __table_args__ = ({"sqlite_autoincrement": True},)  # never reuse the id of a deleted user
{%- endif %}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    addresses: Mapped[list["Address"]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Address.id",
{%- if cookiecutter.use_eager_loading %}
        lazy="raise",  # load it explicitly (selectinload) or fail: no hidden N+1 queries
{%- endif %}
    )


class Address(Base):
    __tablename__ = "addresses"
{%- if cookiecutter.database == "sqlite" %}
    __table_args__ = ({"sqlite_autoincrement": True},)
{%- endif %}

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    street: Mapped[str] = mapped_column(String(STREET_MAX))
    city: Mapped[str] = mapped_column(String(CITY_MAX))
    user: Mapped[User] = relationship(
        back_populates="addresses",
{%- if cookiecutter.use_eager_loading %}
        lazy="raise",
{%- endif %}
    )
