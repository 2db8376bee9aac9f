import logging

import pytest

from {{ cookiecutter.project_slug }} import config
from {{ cookiecutter.project_slug }} import create_app
from {{ cookiecutter.project_slug }} import db
from {{ cookiecutter.project_slug }}.config import ConfigError


def settings(**environ: str) -> dict:
    return config.from_env("/srv/instance", environ)
{%- if cookiecutter.database == "sqlite" %}


def test_database_defaults_to_a_sqlite_file_in_the_instance_folder():
    expected = "sqlite:////srv/instance/{{ cookiecutter.project_slug }}.sqlite3"
    assert settings()["DATABASE_URL"] == expected
{%- else %}


def test_database_defaults_to_a_local_postgresql_database():
    expected = "postgresql+psycopg://localhost/{{ cookiecutter.project_slug }}"
    assert settings()["DATABASE_URL"] == expected
{%- endif %}


def test_settings_are_read_from_the_environment():
    values = settings(
        DATABASE_URL="dialect://elsewhere/other",
        SECRET_KEY="s3cret",
        LOG_LEVEL="debug",
        LOG_FILE="/tmp/app.log",
        LOG_FORMAT="JSON",
        MAX_CONTENT_LENGTH="2048",
{%- if cookiecutter.use_connection_pooling %}
        DB_POOL_SIZE="3",
        DB_MAX_OVERFLOW="0",
        DB_POOL_TIMEOUT="4",
        DB_POOL_RECYCLE="600",
{%- endif %}
    )
    expected = {
        "DATABASE_URL": "dialect://elsewhere/other",
        "SECRET_KEY": "s3cret",
        "LOG_LEVEL": "DEBUG",
        "LOG_FILE": "/tmp/app.log",
        "LOG_FORMAT": "json",
        "MAX_CONTENT_LENGTH": 2048,
{%- if cookiecutter.use_connection_pooling %}
        "DB_POOL_SIZE": 3,
        "DB_MAX_OVERFLOW": 0,
        "DB_POOL_TIMEOUT": 4,
        "DB_POOL_RECYCLE": 600,
{%- endif %}
    }
    assert values.items() >= expected.items()


def test_defaults_are_documented_values():
    values = settings()
    assert values["LOG_LEVEL"] == "INFO"
    assert values["LOG_FILE"] is None
    assert values["LOG_FORMAT"] == "text"
    assert values["MAX_CONTENT_LENGTH"] == 1024 * 1024
{%- if cookiecutter.use_pagination and cookiecutter.pagination_style == "cursor" %}


def test_retired_secret_keys_are_read_as_a_comma_separated_list():
    assert settings(SECRET_KEY_FALLBACKS="one,two")["SECRET_KEY_FALLBACKS"] == ["one", "two"]
    assert settings()["SECRET_KEY_FALLBACKS"] == []
{%- endif %}


def test_without_secret_key_each_process_gets_a_random_one():
    assert settings()["SECRET_KEY"] != settings()["SECRET_KEY"]
    assert len(settings()["SECRET_KEY"]) == 64


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MAX_CONTENT_LENGTH", "lots"),
        ("MAX_CONTENT_LENGTH", "0"),
        ("LOG_LEVEL", "LOUD"),
        ("LOG_FORMAT", "xml"),
{%- if cookiecutter.use_connection_pooling %}
        ("DB_POOL_SIZE", "0"),
        ("DB_MAX_OVERFLOW", "-1"),
{%- endif %}
{%- if cookiecutter.use_pagination %}
        ("PER_PAGE_MAX", "none"),
        ("PER_PAGE_MAX", "100000000000000000000"),
{%- endif %}
    ],
)
def test_unusable_values_are_rejected_naming_the_variable(name, value):
    with pytest.raises(ConfigError, match=name):
        settings(**{name: value})


def test_create_app_reads_the_environment(monkeypatch, database_url):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("MAX_CONTENT_LENGTH", "4096")
    app = create_app()
    assert app.config["DATABASE_URL"] == database_url
    assert app.config["MAX_CONTENT_LENGTH"] == 4096
    with app.app_context():
        db.get_engine().dispose()


def test_log_file_receives_the_package_logs(tmp_path, make_app):
    log_file = tmp_path / "app.log"
    app = make_app(LOG_FILE=str(log_file))
    logging.getLogger(f"{app.import_name}.test").warning("hello from the test")
    for handler in logging.getLogger(app.import_name).handlers:
        handler.close()  # writes out what it holds, as logging.shutdown does at exit
    assert "hello from the test" in log_file.read_text()
