import concurrent.futures
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from options import MANIFEST, combinations, combo_id
from services import ServiceMissing, create_database, postgres

# Cookiecutter leaves one temporary file per hook run in the temp folder: keep them in ours.
_HOOK_TMP = tempfile.mkdtemp(prefix="template-tests-tmp-")
os.chmod(_HOOK_TMP, 0o755)  # a throwaway PostgreSQL cluster runs in here as its own user
os.environ["TMPDIR"] = _HOOK_TMP
tempfile.tempdir = None


def pytest_unconfigure(config):
    shutil.rmtree(_HOOK_TMP, ignore_errors=True)


@pytest.fixture(scope="session")
def manifest():
    return MANIFEST


@pytest.fixture(scope="session")
def baked(cookies_session) -> dict[str, Path]:
    """Every combination of the code options, baked once for the whole session."""
    projects = {}
    for answers in combinations():
        result = cookies_session.bake(extra_context=answers)
        assert result.exit_code == 0, str(result.exception)
        projects[combo_id(answers)] = Path(result.project_path)
    return projects


@pytest.fixture(scope="session")
def postgres_url():
    try:
        with postgres() as url:
            yield url
    except ServiceMissing as missing:
        pytest.fail(str(missing), pytrace=False)


def _lint(paths: list[Path]) -> dict[str, list[str]]:
    """One ruff check and one ruff format --check over every project; findings per file."""
    findings: dict[str, list[str]] = {}
    check = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--output-format=json",
            "--no-cache",
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
    )
    for item in json.loads(check.stdout or "[]"):
        findings.setdefault(item["filename"], []).append(f"{item['code']} {item['message']}")
    fmt = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "--no-cache", *map(str, paths)],
        capture_output=True,
        text=True,
    )
    for line in fmt.stdout.splitlines():
        if line.startswith("Would reformat: "):
            filename = str(Path(line.removeprefix("Would reformat: ")).resolve())
            findings.setdefault(filename, []).append("ruff format would reformat it")
    return findings


@pytest.fixture(scope="session")
def lint_findings(baked) -> dict[str, list[str]]:
    return _lint(list(baked.values()))


def project_test_command(project: Path) -> list[str]:
    return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(project / "tests")]


def project_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", PYTHONDONTWRITEBYTECODE="1", **extra)
    return env


@pytest.fixture(scope="session")
def own_test_runs(request, baked):
    """Start every baked project's own test suite, in parallel across cores; id -> future."""
    needs_postgres = any("database:postgresql" in key for key in baked)
    admin_url = request.getfixturevalue("postgres_url") if needs_postgres else None
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2)

    def run(key: str, project: Path) -> subprocess.CompletedProcess:
        extra = {}
        if "database:postgresql" in key:
            name = "test_" + hashlib.sha1(key.encode()).hexdigest()[:16]
            extra["TEST_DATABASE_URL"] = create_database(admin_url, name)
        return subprocess.run(
            project_test_command(project),
            cwd=project,
            env=project_env(extra),
            capture_output=True,
            text=True,
            timeout=600,
        )

    runs = {key: pool.submit(run, key, project) for key, project in baked.items()}
    yield runs
    pool.shutdown(cancel_futures=True)
    SUMMARY["baked"] = len(baked)
    SUMMARY["ran"] = sum(f.done() and not f.cancelled() for f in runs.values())


SUMMARY: dict[str, int] = {}


def pytest_terminal_summary(terminalreporter):
    if SUMMARY:
        terminalreporter.write_line(
            f"matrix: baked {SUMMARY['baked']} projects, ran {SUMMARY['ran']} of their own test suites"
        )
