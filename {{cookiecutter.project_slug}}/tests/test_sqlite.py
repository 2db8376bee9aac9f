"""SQLite: the default database is a file in the instance folder."""

from {{ cookiecutter.project_slug }} import config


def test_database_defaults_to_a_sqlite_file_in_the_instance_folder() -> None:
    expected = "sqlite:////srv/instance/{{ cookiecutter.project_slug }}.sqlite3"
    assert config.from_env("/srv/instance", {})["DATABASE_URL"] == expected
