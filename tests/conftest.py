import atexit
import concurrent.futures
import functools
import hashlib
import json
import multiprocessing.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jinja2
import pytest

from tests.harness import (
    ThrowawayPostgres,
    ThrowawayRedis,
    bake,
    cookiecutter_config,
    create_database,
    project_env,
    required,
    server_url,
)
from tests.options import MANIFEST, combo_id, covering_subset, matrix, matrix_shard
from tests.project_runner import run_project_tests

# Jinja templates of a resource that tests/test_recipe.py renders into baked projects: not tests
# of the template, and not Python until rendered.
collect_ignore = ["recipe"]

# multiprocessing (the forkserver of project_runner) keeps and cleans its own temporary folder:
# create it before TMPDIR is pointed at ours, which is removed at exit before that cleanup runs.
multiprocessing.util.get_temp_dir()
# Cookiecutter leaves one temporary file per hook run in the temp folder: keep them in ours.
# Everything the session writes (bakes, SQLite files, a throwaway PostgreSQL) lives there, in
# memory when the machine has a tmpfs: hundreds of test suites commit thousands of times.
_SHM = "/dev/shm"
_IN_MEMORY = _SHM if os.path.isdir(_SHM) and os.access(_SHM, os.W_OK) else None
_HOOK_TMP = tempfile.mkdtemp(prefix="template-tests-tmp-", dir=_IN_MEMORY)
os.chmod(_HOOK_TMP, 0o755)  # a throwaway PostgreSQL cluster runs in here as its own user
os.environ["TMPDIR"] = _HOOK_TMP
tempfile.tempdir = None


# Registered first, so it runs last: after multiprocessing has cleaned up its own folder here.
atexit.register(shutil.rmtree, _HOOK_TMP, ignore_errors=True)


def pytest_configure(config):
    """A MATRIX_SHARD that is not `i/n` stops the run before collection, with one line."""
    try:
        matrix_shard()
    except ValueError as error:
        raise pytest.UsageError(str(error)) from None


@pytest.fixture(scope="session")
def _cookiecutter_config_file(tmp_path_factory) -> Path:
    """pytest-cookies' configuration, replaced by ours: the same folders, and no `uv lock` in
    the hook (tests/test_lock.py bakes with it)."""
    return cookiecutter_config(tmp_path_factory.mktemp("cookiecutter-config"))


@pytest.fixture(scope="session")
def manifest():
    return MANIFEST


def _reuse_compiled_templates() -> None:
    """Cookiecutter builds a new Jinja environment per bake, which compiles every file and file
    name of the template again; in a baking process, compile each distinct source once. The
    compiled code depends only on the source and the environment's (identical) settings."""
    compile_template = jinja2.Environment.compile
    compiled: dict[tuple, object] = {}

    def compile_once(self, source, name=None, filename=None, raw=False, defer_init=False):
        key = (source, name, filename, raw, defer_init, tuple(sorted(self.extensions)))
        if key not in compiled:
            compiled[key] = compile_template(self, source, name, filename, raw, defer_init)
        return compiled[key]

    jinja2.Environment.compile = compile_once


@pytest.fixture(scope="session")
def baked(tmp_path_factory, _cookiecutter_config_file) -> dict[str, Path]:
    """Every combination of the code options, baked once for the whole session, in parallel
    (pytest-cookies bakes in-process, one at a time; this is the same call, on every core)."""
    root = tmp_path_factory.mktemp("matrix")
    combos = matrix()
    outputs = [root / f"bake{index:04d}" for index in range(len(combos))]
    # Tried once: a template that does not bake fails every combination, and at once.
    bake_once = functools.partial(bake, config_file=str(_cookiecutter_config_file), tries=1)
    with concurrent.futures.ProcessPoolExecutor(
        os.cpu_count() or 2, initializer=_reuse_compiled_templates
    ) as executor:
        paths = executor.map(bake_once, combos, outputs, chunksize=8)
        return {combo_id(answers): path for answers, path in zip(combos, paths, strict=True)}


@pytest.fixture(scope="session")
def redis_url():
    """A real Redis (see tests/harness.py): REDIS_URL, else a throwaway one."""
    with required(server_url(ThrowawayRedis, os.environ.get("REDIS_URL"))) as url:
        yield url


@pytest.fixture(scope="session")
def postgres_url():
    """A real PostgreSQL: DATABASE_URL when it names one, else a throwaway one."""
    given = os.environ.get("DATABASE_URL", "")
    given = given if given.startswith("postgresql") else None
    with required(server_url(ThrowawayPostgres, given)) as url:
        yield url


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


@pytest.fixture(scope="session")
def own_test_runs(request, baked):
    """Start every baked project's own test suite, in parallel across cores; id -> future.
    The covering subset runs everything; the other combinations skip tests marked slow."""
    needs_postgres = any("database:postgresql" in key for key in baked)
    admin_url = request.getfixturevalue("postgres_url") if needs_postgres else None
    needs_redis = any("cache_backend:redis" in key for key in baked)
    redis_url = request.getfixturevalue("redis_url") if needs_redis else None
    # One lane more than cores: while one suite waits on a server or on its gunicorn, another
    # can use the core.
    lanes = int(os.environ.get("MATRIX_JOBS", 0)) or (os.cpu_count() or 2) + 1
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=lanes)
    full = {combo_id(answers) for answers in covering_subset()}

    def run(key: str, project: Path) -> tuple[int, str]:
        started = time.perf_counter()
        try:
            settings = {}
            if "cache_backend:redis" in key:
                settings["TEST_REDIS_URL"] = redis_url
            if "database:postgresql" in key:
                name = "test_" + hashlib.sha1(key.encode()).hexdigest()[:16]
                settings["TEST_DATABASE_URL"] = create_database(admin_url, name)
            if key in full:  # its browser test keeps a screenshot of /docs
                settings["DOCS_SCREENSHOT"] = str(SCREENSHOTS / screenshot_name(key))
            return _own_suite(project, settings, full=key in full)
        finally:
            kind = "full" if key in full else _suite_kind(key)
            SECONDS.setdefault(kind, []).append(time.perf_counter() - started)

    # The covering subset first: its runs are the longest.
    order = sorted(baked, key=lambda key: key not in full)
    runs = {key: pool.submit(run, key, baked[key]) for key in order}
    yield runs
    pool.shutdown(cancel_futures=True)
    SUMMARY["baked"] = len(baked)
    SUMMARY["ran"] = sum(f.done() and not f.cancelled() for f in runs.values())
    SUMMARY["full"] = len(full & runs.keys())


def _own_suite(project: Path, settings: dict[str, str], full: bool) -> tuple[int, str]:
    """Run a baked project's own test suite with `settings`: everything, or (not `full`)
    without the tests marked slow."""
    env = project_env(PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", **settings)
    # The forkserver imported schemathesis already, so the projects' `-p schemathesis` cannot
    # rewrite its asserts; pytest warns, which their filterwarnings would make an error.
    args = ["-q", "-p", "no:cacheprovider", "-W", "ignore::pytest.PytestAssertRewriteWarning"]
    args += ["--basetemp", f"{project}.tmp", "tests"]
    if full:
        return run_project_tests(project, args, env, timeout=600)
    # Without slow tests, and without pytest's assertion rewriting (a quarter of a suite's
    # CPU time); a failing suite runs again with it, for the detailed report.
    # Collecting the thorough fuzzing builds its boundary cases, even for deselected tests.
    args += ["-m", "not slow", "--ignore", "tests/test_openapi_thorough.py"]
    code, output = run_project_tests(project, [*args, "--assert=plain"], env, timeout=600)
    if code != 0:
        _, detailed = run_project_tests(project, args, env, timeout=600)
        output += "\n--- run again with assertion rewriting ---\n" + detailed
    return code, output


SUMMARY: dict[str, int] = {}
# Outside the session's temporary folder, which is removed at exit: build/ is ignored by git.
SCREENSHOTS = Path(__file__).resolve().parent.parent / "build" / "screenshots"
SECONDS: dict[str, list[float]] = {}  # kind of suite -> wall seconds each took


def screenshot_name(key: str) -> str:
    """A file name for the combination `key` that GitHub's upload-artifact accepts: it refuses
    `:` (and `"<>|*?`), which combination ids are made of."""
    return key.replace(":", "=") + ".png"


def _suite_kind(key: str) -> str:
    if "database:sqlite" in key:
        return "SQLite"
    pooled = "use_connection_pooling:True" in key
    return "PostgreSQL, pooled" if pooled else "PostgreSQL, a connection per request"


def pytest_terminal_summary(terminalreporter):
    if SUMMARY:
        shard = matrix_shard()
        terminalreporter.write_line(
            f"matrix: baked {SUMMARY['baked']} projects"
            + (f" (shard {shard[0]} of {shard[1]})" if shard else "")
            + f", ran {SUMMARY['ran']} of their own test suites ({SUMMARY['full']} of them in "
            "full, the others without slow tests)"
        )
    if SUMMARY.get("full"):
        terminalreporter.write_line(
            f"matrix: screenshots of /docs after its browser test: {SCREENSHOTS}/<id with = for :>.png"
        )
    if SECONDS:
        medians = ", ".join(
            f"{kind} {statistics.median(times):.1f} s (x{len(times)})"
            for kind, times in sorted(SECONDS.items())
        )
        terminalreporter.write_line(f"matrix: median wall time per suite: {medians}")
