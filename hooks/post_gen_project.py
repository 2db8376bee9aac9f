"""Delete what the answers leave out. The MANIFEST below is the only place that decides it."""

import json
import shutil
import sys
from pathlib import Path

ANSWERS = r"""{{ cookiecutter | tojson }}"""

# option -> value -> paths (relative to the project; `{package}` is the package name) that
# exist only when that value is chosen. A path listed under several values is kept when any of
# them is chosen. Every other generated path is core and always kept.
MANIFEST: dict[str, dict[object, list[str]]] = {
    "open_source_license": {
        "MIT": ["LICENSE"],
        "BSD-3-Clause": ["LICENSE"],
        "Apache-2.0": ["LICENSE"],
    },
    "database": {
        "sqlite": ["src/{package}/sqlite.py", "tests/test_sqlite.py"],
        "postgresql": ["src/{package}/postgresql.py", "tests/test_postgresql.py"],
    },
    "use_connection_pooling": {
        True: ["src/{package}/pooling.py", "tests/test_pooling.py"],
    },
    "use_eager_loading": {
        True: ["tests/test_eager_loading.py", "tests/sql_counter.py"],
    },
    "use_caching": {
        True: ["src/{package}/caching.py", "tests/test_caching.py", "tests/sql_counter.py"],
    },
    "cache_backend": {
        "simple": ["src/{package}/caching_simple.py", "tests/test_caching_simple.py"],
        "redis": ["src/{package}/caching_redis.py", "tests/test_caching_redis.py"],
    },
    "use_fast_json": {
        True: ["src/{package}/fast_json.py", "tests/test_fast_json.py", "bench/json_encode.py"],
    },
    "use_compression": {
        True: ["src/{package}/compression.py", "tests/test_compression.py"],
    },
    "use_async_logging": {
        True: ["src/{package}/async_logging.py", "tests/test_async_logging.py"],
    },
    "use_pagination": {
        True: [
            "src/{package}/pagination.py",
            "tests/test_pagination.py",
            "tests/sql_counter.py",
            "bench/pagination.py",
        ],
    },
    "pagination_style": {
        "cursor": ["src/{package}/pagination_cursor.py", "tests/test_pagination_cursor.py"],
        "offset": ["src/{package}/pagination_offset.py", "tests/test_pagination_offset.py"],
    },
}

# A sub-choice counts only while the toggle it refines is on.
SUBCHOICES = {
    "pagination_style": "use_pagination",
    "cache_backend": "use_caching",
}


def chosen(answers: dict, option: str, value: object) -> bool:
    parent = SUBCHOICES.get(option)
    return answers[option] == value and (parent is None or answers[parent] is True)


def owned_paths(package: str) -> set[str]:
    """Every path that some option value owns."""
    return {
        path.format(package=package)
        for values in MANIFEST.values()
        for paths in values.values()
        for path in paths
    }


def kept_paths(answers: dict) -> set[str]:
    """The owned paths that the answers choose."""
    return {
        path.format(package=answers["project_slug"])
        for option, values in MANIFEST.items()
        for value, paths in values.items()
        if chosen(answers, option, value)
        for path in paths
    }


def removed_paths(answers: dict) -> set[str]:
    return owned_paths(answers["project_slug"]) - kept_paths(answers)


def prune(root: Path, answers: dict) -> None:
    for relative in sorted(removed_paths(answers), reverse=True):
        path = root / relative
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
        parent = path.parent
        while parent != root and parent.exists() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent


def main() -> int:
    prune(Path.cwd(), json.loads(ANSWERS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
