"""The peer: the generated project's `GET /api/users` page, written as FastAPI's documentation
recommends, for what a user would pick instead of this template.

Async SQLAlchemy 2 over asyncpg (an `AsyncSession` per request from a dependency, models with
`Mapped`, the addresses loaded with `selectinload`), Pydantic response models validated from the
ORM objects, `GZipMiddleware`, served by uvicorn (with uvloop and httptools, as
`uvicorn[standard]` installs them) with 2 workers. Defaults everywhere else: the engine's pool
(no pre-ping), a transaction per session, uvicorn's access log.

The page is the all-on project's: 50 users in id order with their addresses, `per_page` up to
100, and a `next_cursor` signed as the project signs it (itsdangerous, SECRET_KEY, salt
"cursor"), so that the same data gives the same JSON (`created_at` is the same instant, written
with `Z` for `+00:00`). bench/run.py serves it:

    PEER_DATABASE_URL=postgresql+asyncpg://... SECRET_KEY=... \\
        uvicorn peer_fastapi:app --app-dir bench --workers 2
"""

import os
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Query
from fastapi.middleware.gzip import GZipMiddleware
from itsdangerous import BadData, URLSafeSerializer
from pydantic import BaseModel, ConfigDict
from sqlalchemy import DateTime, ForeignKey, String, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, selectinload

CURSOR_VERSION = 1
MAX_ID = 2**31 - 1

engine = create_async_engine(os.environ["PEER_DATABASE_URL"])
SessionLocal = async_sessionmaker(engine, expire_on_commit=False)
cursors = URLSafeSerializer(os.environ["SECRET_KEY"], salt="cursor")


class Base(DeclarativeBase):
    pass


class UserRecord(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    addresses: Mapped[list["AddressRecord"]] = relationship(order_by="AddressRecord.id")


class AddressRecord(Base):
    __tablename__ = "addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    street: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))


class Address(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    street: str
    city: str


class User(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    email: str
    created_at: datetime
    addresses: list[Address]


class UserPage(BaseModel):
    items: list[User]
    next_cursor: str | None


async def get_session() -> AsyncIterator[AsyncSession]:
    async with SessionLocal() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]

app = FastAPI(title="users API, FastAPI peer")
app.add_middleware(GZipMiddleware, minimum_size=1000)


@app.get("/api/users", response_model=UserPage)
async def list_users(
    session: SessionDep,
    per_page: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: str | None = None,
) -> dict:
    query = select(UserRecord).options(selectinload(UserRecord.addresses))
    after = read_cursor(cursor)
    if after is not None:
        query = query.where(UserRecord.id > after)
    users = (await session.scalars(query.order_by(UserRecord.id).limit(per_page + 1))).all()
    page = users[:per_page]
    has_more = len(users) > per_page
    next_cursor = cursors.dumps({"v": CURSOR_VERSION, "after": page[-1].id}) if has_more else None
    return {"items": page, "next_cursor": next_cursor}


@app.get("/healthz")
async def health() -> dict[str, str]:
    return {"status": "ok"}


def read_cursor(raw: str | None) -> int | None:
    if not raw:
        return None
    try:
        cursor = cursors.loads(raw)
    except BadData:
        raise HTTPException(400, "cursor was not issued by this API") from None
    if not isinstance(cursor, dict) or cursor.get("v") != CURSOR_VERSION:
        raise HTTPException(400, "cursor has an outdated format")
    after = cursor.get("after")
    if not isinstance(after, int) or not 0 <= after <= MAX_ID:
        raise HTTPException(400, "cursor has an outdated format")
    return after
