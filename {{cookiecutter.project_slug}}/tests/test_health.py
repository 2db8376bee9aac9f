import pytest
{%- if cookiecutter.database == "sqlite" %}


@pytest.fixture
def unreachable_database(tmp_path) -> str:
    """A SQLite file below a regular file: nobody, not even root, can open it."""
    (tmp_path / "a-file").touch()
    return f"sqlite:///{tmp_path / 'a-file' / 'db.sqlite3'}"
{%- else %}


@pytest.fixture
def unreachable_database() -> str:
    """A port nothing listens on."""
    return "postgresql+psycopg://nobody@127.0.0.1:1/nothing?connect_timeout=1"
{%- endif %}


def test_healthz_answers_ok_without_touching_the_database(make_app, unreachable_database):
    app = make_app(DATABASE_URL=unreachable_database)
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_is_ok_when_the_database_answers(client):
    response = client.get("/readyz")
    assert response.status_code == 200
{%- if cookiecutter.use_caching and cookiecutter.cache_backend == "redis" %}
    assert response.json == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}
{%- else %}
    assert response.json == {"status": "ok", "checks": {"database": "ok"}}
{%- endif %}


def test_readyz_is_503_when_the_database_is_unreachable_and_logs_the_drivers_reason(
    make_app, unreachable_database, caplog
):
    app = make_app(DATABASE_URL=unreachable_database)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert response.json["checks"]["database"] == "unavailable"
    # The driver's exception and its message, so that an operator can tell why.
    assert "the database does not answer: OperationalError: " in caplog.text
