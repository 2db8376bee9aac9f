"""Server-Timing: off by default; on, every answer says how long its SQL took and how many
statements ran{% if cookiecutter.use_caching %}, whether the cache answered{% endif %}, and the total."""

import re

from conftest import MakeApp
from flask.testing import FlaskClient
from werkzeug.datastructures import Headers

METRIC = re.compile(r'(\w+)(?:;dur=(\d+\.\d\d))?(?:;desc=("[^"]*"|\w+))?')


def timings(headers: Headers) -> dict[str, tuple[str, str]]:
    """The metrics of a Server-Timing header: name -> (dur, desc), as sent."""
    metrics = {}
    for metric in headers.get("Server-Timing", "").split(", "):
        match = METRIC.fullmatch(metric)
        assert match, f"not a Server-Timing metric: {metric!r}"
        metrics[match[1]] = (match[2] or "", match[3] or "")
    return metrics


def test_answers_carry_no_server_timing_by_default(client: FlaskClient) -> None:
    assert "Server-Timing" not in client.get("/api/users").headers


def test_an_answer_reports_its_database_time_statements_and_total(make_app: MakeApp) -> None:
    client = make_app(SERVER_TIMING=True).test_client()
    created = client.post("/api/users", json={"name": "Ada", "email": "ada@example.com"})
    metrics = timings(created.headers)
    assert set(metrics) == {"db", "total"}
    duration, description = metrics["db"]
    assert re.fullmatch(r'"[1-9][0-9]* statements?"', description)
    assert 0 < float(duration) <= float(metrics["total"][0])


def test_an_answer_without_sql_reports_its_total_only(make_app: MakeApp) -> None:
    client = make_app(SERVER_TIMING=True).test_client()
    assert set(timings(client.get("/healthz").headers)) == {"total"}
{%- if cookiecutter.use_caching %}


def test_a_cached_read_reports_a_miss_with_its_sql_then_a_hit_without(
    make_app: MakeApp,
) -> None:
    client = make_app(SERVER_TIMING=True).test_client()
    client.post("/api/users", json={"name": "Ada", "email": "ada@example.com"})
    miss = timings(client.get("/api/users").headers)
    hit = timings(client.get("/api/users").headers)
    assert miss["cache"] == ("", "miss")
    assert "db" in miss
    assert hit["cache"] == ("", "hit")
    assert set(hit) == {"cache", "total"}
{%- endif %}
