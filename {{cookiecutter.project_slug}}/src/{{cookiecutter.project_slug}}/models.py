"""The data model: users and their addresses."""

from datetime import UTC, datetime
{% if cookiecutter.database == "sqlite" %}
from sqlalchemy import DateTime, ForeignKey, String, TypeDecorator
{%- else %}
from sqlalchemy import DateTime, ForeignKey, String
{%- endif %}
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import Base

NAME_MAX = 100
EMAIL_MAX = 254
STREET_MAX = 200
CITY_MAX = 100
{%- if cookiecutter.database == "sqlite" %}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp: SQLite stores none, so it is restored on load."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value
{%- endif %}


def utcnow() -> datetime:
    return datetime.now(UTC)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)
{%- if cookiecutter.database == "sqlite" %}
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
{%- else %}
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
{%- endif %}
    addresses: Mapped[list["Address"]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Address.id",
    )


class Address(Base):
    __tablename__ = "addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    street: Mapped[str] = mapped_column(String(STREET_MAX))
    city: Mapped[str] = mapped_column(String(CITY_MAX))
    user: Mapped[User] = relationship(back_populates="addresses")
