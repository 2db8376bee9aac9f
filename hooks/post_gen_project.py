"""Delete what the answers leave out (the MANIFEST below is the only place that decides it),
then lock the dependencies in uv.lock when uv can be found."""

import json
import shutil
import subprocess
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

# Written by `uv lock` after pruning, so never in the template: present when the private answer
# `_uv_lock` is true (the default) and uv could lock, absent otherwise.
LOCK_FILE = "uv.lock"
LOCK_TIMEOUT = 600  # seconds; uv gives up on an unreachable index well before

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


def find_uv() -> str | None:
    """uv on PATH, else the binary of the `uv` Python package beside cookiecutter."""
    found = shutil.which("uv")
    if found:
        return found
    try:
        from uv import find_uv_bin
    except ImportError:
        return None
    try:
        return find_uv_bin()
    except FileNotFoundError:
        return None


def lock(root: Path) -> None:
    """`uv lock` in the project, so that it starts with every dependency pinned, hashes included.
    Generation never fails for want of a lock: one line says why there is none."""
    uv = find_uv()
    if uv is None:
        return not_locked(root, "uv was not found (https://docs.astral.sh/uv/)")
    command = [uv, "lock", "--quiet"]
    try:
        done = subprocess.run(
            command, cwd=root, capture_output=True, text=True, timeout=LOCK_TIMEOUT
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return not_locked(root, f"`uv lock` did not finish ({error})")
    if done.returncode != 0:
        reason = " ".join(done.stderr.split())[-300:] or f"exit status {done.returncode}"
        return not_locked(root, f"`uv lock` failed (offline?): {reason}")
    return None


def not_locked(root: Path, why: str) -> None:
    print(f"{LOCK_FILE} not written: {why}; run `uv lock` in {root} to write it", file=sys.stderr)


def main() -> int:
    answers = json.loads(ANSWERS)
    prune(Path.cwd(), answers)
    if answers.get("_uv_lock"):
        lock(Path.cwd())
    return 0


if __name__ == "__main__":
    sys.exit(main())
