"""Every combination of the code options: rendered cleanly, pruned by the manifest, lint-clean,
and passing its own test suite."""

import re

import pytest

from tests.options import DEFAULTS, TEMPLATE, combo_id, matrix

COMBINATIONS = {combo_id(answers): answers for answers in matrix()}
IDS = list(COMBINATIONS)

# A GitHub Actions expression, `${{ matrix.python }}`: the workflow's own syntax, not Jinja.
GITHUB_EXPRESSION = re.compile(r"\$\{\{ [\w.]+ \}\}")

# Words that must not appear anywhere in a project whose answers leave the option value out.
TRACES: dict[tuple[str, object], list[str]] = {
    ("database", "sqlite"): ["sqlite", "SQLite", "PRAGMA", "no such table"],
    ("database", "postgresql"): [
        "postgresql",
        "PostgreSQL",
        "psycopg",
        "TEST_DATABASE_URL",
        "AUTOCOMMIT",
        "ProgrammingError",
        "sqlstate",
    ],
    ("use_connection_pooling", True): [
        "pooling",
        "DB_POOL",
        "QueuePool",
        "pre_ping",
        "dispose(close=False)",
    ],
    ("use_connection_pooling", False): ["NullPool"],
    ("use_eager_loading", True): ["selectinload", 'lazy="raise"', "N+1"],
    ("use_pagination", True): ["paginat", "per_page", "PER_PAGE", "cursor=", "?page="],
    ("pagination_style", "cursor"): [
        "next_cursor",
        "keyset",
        "itsdangerous",
        "class Cursor",  # not "Cursor": SQLAlchemy's CursorResult is no pagination
        "SECRET_KEY_FALLBACKS",
    ],
    ("pagination_style", "offset"): ["pagination_offset", "OFFSET", "?page=", "&page=", '"pages"'],
    ("use_caching", True): ["caching", "CACHE_", "cache hit", "Flask-Caching"],
    ("cache_backend", "redis"): ["redis", "Redis", "REDIS", "caching_redis", "RedisHealth"],
    ("cache_backend", "simple"): [
        "SimpleCache",
        "each process's memory",
        "CACHE_GENERATION_FILE",
        "caching_simple",
        "Generation(",
    ],
    ("use_fast_json", True): ["fast_json", "FastJSONProvider", "orjson"],
    ("use_fast_json", False): ["StandardJSONProvider", "sort_keys"],
    ("use_compression", True): ["compression", "Compress", "Accept-Encoding", "brotli", "zstd"],
    ("use_async_logging", True): [
        "async_logging",
        "QueueHandler",
        "QueueListener",
        "listener",
        "MAX_QUEUED",
    ],
}


def project_files(project):
    return sorted(path for path in project.rglob("*") if path.is_file())


def template_files(package: str) -> set[str]:
    """The template's files, as the paths they render to for `package`."""
    root = TEMPLATE / "{{cookiecutter.project_slug}}"
    return {
        str(path.relative_to(root)).replace("{{cookiecutter.project_slug}}", package)
        for path in root.rglob("*")
        if path.is_file()
    }


@pytest.mark.parametrize("key", IDS, ids=IDS)
def test_no_template_syntax_is_left_and_no_file_is_empty(baked, key):
    for path in project_files(baked[key]):
        text = path.read_text(encoding="utf-8")
        assert text.strip() or path.name == "py.typed", f"{path} is empty"  # PEP 561: empty
        if ".github" in path.parts:
            text = GITHUB_EXPRESSION.sub("", text)
        for marker in ("{{", "{%", "{#"):
            assert marker not in text, f"{path} still holds {marker}"


@pytest.mark.parametrize("key", IDS, ids=IDS)
def test_files_are_exactly_core_plus_the_selected_options(baked, manifest, key):
    answers = {**DEFAULTS, **COMBINATIONS[key], "project_slug": baked[key].name}
    package = answers["project_slug"]
    generated = {str(path.relative_to(baked[key])) for path in project_files(baked[key])}
    expected = template_files(package) - manifest.removed_paths(answers)
    assert generated == expected
    assert manifest.kept_paths(answers) <= generated


@pytest.mark.parametrize("key", IDS, ids=IDS)
def test_unselected_option_values_leave_no_trace(baked, manifest, key):
    answers = {**DEFAULTS, **COMBINATIONS[key], "project_slug": baked[key].name}
    for (option, value), words in TRACES.items():
        if manifest.chosen(answers, option, value):
            continue
        for path in project_files(baked[key]):
            text = path.read_text(encoding="utf-8")
            for word in words:
                assert word not in text, f"{option}={value} is off but {path} mentions {word!r}"


@pytest.mark.parametrize("key", IDS, ids=IDS)
def test_ruff_check_and_format_pass(baked, lint_findings, key):
    root = str(baked[key])
    problems = {name: found for name, found in lint_findings.items() if name.startswith(root)}
    assert problems == {}


@pytest.mark.parametrize("key", IDS, ids=IDS)
def test_own_test_suite_passes(own_test_runs, key):
    exit_code, output = own_test_runs[key].result()
    assert exit_code == 0, output[-8000:]
    assert " passed" in output
