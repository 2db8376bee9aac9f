"""Time the first page against a deep page of the users list ({{ cookiecutter.pagination_style }} pagination).

    python bench/pagination.py [--users 100000] [--per-page 50] [--repeat 15]

{% if cookiecutter.database == "sqlite" -%}
Uses BENCH_DATABASE_URL when set (its tables are dropped and recreated), else a temporary
SQLite file. Prints the median time of each page and their ratio.
{%- else -%}
Needs BENCH_DATABASE_URL, a PostgreSQL database whose tables it drops and recreates.
Prints the median time of each page and their ratio.
{%- endif %}
"""

import argparse
import os
import statistics
{%- if cookiecutter.database == "sqlite" %}
import tempfile
{%- endif %}
import time

from sqlalchemy import insert

from {{ cookiecutter.project_slug }} import create_app
from {{ cookiecutter.project_slug }} import db
from {{ cookiecutter.project_slug }}.models import User
{%- if cookiecutter.pagination_style == "cursor" %}
from {{ cookiecutter.project_slug }}.pagination_cursor import make_cursor
{%- endif %}


def median_ms(client, url: str, repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.json
    return statistics.median(timings)


def run(url: str, users: int, per_page: int, repeat: int) -> None:
    settings = {
        "DATABASE_URL": url,
        "PER_PAGE_MAX": max(per_page, 100),
        "LOG_LEVEL": "WARNING",  # no access line per request
{%- if cookiecutter.use_caching %}
        "CACHE_TYPE": "NullCache",  # measure the query, not a cache hit
        "CACHE_NO_NULL_WARNING": True,
{%- endif %}
    }
    app = create_app(settings)
    with app.app_context():
        db.downgrade()  # an empty database
        db.upgrade()
        session = db.get_session()
        rows = [{"name": f"User {n}", "email": f"user{n}@example.com"} for n in range(users)]
        session.execute(insert(User), rows)
        session.commit()
{%- if cookiecutter.pagination_style == "cursor" %}
        deep = f"cursor={make_cursor(users - per_page)}"
{%- else %}
        deep = f"page={users // per_page}"
{%- endif %}
    client = app.test_client()
    first_ms = median_ms(client, f"/api/users?per_page={per_page}", repeat)
    deep_ms = median_ms(client, f"/api/users?per_page={per_page}&{deep}", repeat)
    with app.app_context():
        db.get_engine().dispose()

    print(f"{{ cookiecutter.pagination_style }} pagination: {users} users, {per_page} per page")
    print(f"median of {repeat} requests each")
    print(f"first page: {first_ms:8.2f} ms")
    print(f"deep page:  {deep_ms:8.2f} ms")
    print(f"deep / first: {deep_ms / first_ms:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--per-page", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
{%- if cookiecutter.database == "sqlite" %}
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite3"
        run(url, args.users, args.per_page, args.repeat)
{%- else %}
    run(os.environ["BENCH_DATABASE_URL"], args.users, args.per_page, args.repeat)
{%- endif %}


if __name__ == "__main__":
    main()
