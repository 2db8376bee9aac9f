"""A generated project starts with its dependencies locked: the post-gen hook runs `uv lock`,
and the uv.lock it writes agrees with pyproject.toml (`uv lock --check`), pins every package
with the hashes of its files, and installs (`uv sync --locked`) an environment in which the
project's own tests pass. Checked for the covering subset (tests/options.py): six projects,
every value of every option with each database. Without uv, or offline, generation still
succeeds and says in one line why there is no lock.

The locked environments run the fast tests (`-m "not slow"`): the matrix runs the same six
suites in full, slow tests included, on the same code; what this adds is the locked versions,
installed by uv, in an environment of the project's own. uv's cache is shared by the projects
and kept between runs in .ci/uv-cache; the Python is this one (no download). It needs the
package index, as tests/test_dependencies.py does: without it the test fails and says so."""

import hashlib
import json
import os
import subprocess
import sys
import tomllib
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.harness import bake, create_database, project_env
from tests.options import DEFAULTS, MANIFEST, TEMPLATE, combo_id, covering_subset
from tests.test_dependencies import UNREACHABLE, uv
from tests.test_matrix import template_files

LOCK = MANIFEST.LOCK_FILE
SUBSET = {combo_id(answers): answers for answers in covering_subset()}
CACHE = TEMPLATE / ".ci" / "uv-cache"


def uv_env(**settings: str) -> dict[str, str]:
    """The caller's environment for uv, less anything that would point it at another project
    environment or Python; the shared cache, this Python, no downloads."""
    env = {
        key: value
        for key, value in project_env().items()
        if key not in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "UV_OFFLINE", "UV_FROZEN")
    }
    env |= {"UV_CACHE_DIR": str(CACHE), "UV_PYTHON": sys.executable}
    return env | {"UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1"} | settings


def run_uv(project: Path, *args: str, env: dict[str, str], timeout: float = 600):
    return subprocess.run(
        [uv(), *args], cwd=project, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def locked(tmp_path_factory) -> dict[str, Path]:
    """The covering subset, each baked with the hook's `uv lock` (under uv_env())."""
    root = tmp_path_factory.mktemp("locked")
    projects = {}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in uv_env().items():
            patch.setenv(name, value)
        for index, (key, answers) in enumerate(SUBSET.items()):
            projects[key] = bake({**answers, "_uv_lock": True}, root / f"project{index}")
    return projects


def lock_of(project: Path) -> dict:
    path = project / LOCK
    if not path.exists():
        pytest.fail(f"no {LOCK} was generated (is the package index reachable?)", pytrace=False)
    return tomllib.loads(path.read_text())


def test_generation_locks_by_default():
    assert json.loads((TEMPLATE / "cookiecutter.json").read_text())["_uv_lock"] is True


@pytest.mark.parametrize("key", SUBSET, ids=SUBSET)
def test_the_generated_lock_is_the_only_file_beyond_the_template_and_agrees_with_pyproject(
    locked, key
):
    project = locked[key]
    answers = {**DEFAULTS, **SUBSET[key], "project_slug": project.name}
    generated = {str(path.relative_to(project)) for path in project.rglob("*") if path.is_file()}
    assert generated == template_files(project.name) - MANIFEST.removed_paths(answers) | {LOCK}
    check = run_uv(project, "lock", "--check", "--offline", env=uv_env())
    assert check.returncode == 0, check.stderr


@pytest.mark.parametrize("key", SUBSET, ids=SUBSET)
def test_the_lock_pins_every_dependency_and_group_with_hashes(locked, key):
    project = locked[key]
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    packages = {package["name"]: package for package in lock_of(project)["package"]}
    own = canonicalize_name(pyproject["project"]["name"])
    declared = pyproject["project"]["dependencies"] + [
        line for group in pyproject["dependency-groups"].values() for line in group
    ]
    assert {canonicalize_name(Requirement(line).name) for line in declared} <= set(packages)
    for name, package in packages.items():
        if name == own:
            assert package["source"] == {"editable": "."}
            continue
        files = package.get("wheels", []) + ([package["sdist"]] if "sdist" in package else [])
        assert files, f"{name} {package['version']} has no file to install"
        for file in files:
            assert file["hash"].startswith("sha256:"), f"{name}: {file}"


@pytest.fixture(scope="module")
def locked_runs(locked, request, tmp_path_factory) -> dict[str, Future]:
    """`uv sync --locked`, then the fast tests with `uv run --locked`, in every locked project,
    a lane per core: id -> future of (the failing step's output, or "")."""
    settings: dict[str, dict[str, str]] = {key: {} for key in locked}
    for key in locked:
        if "database:postgresql" in key:
            name = "lock_" + hashlib.sha1(key.encode()).hexdigest()[:16]
            admin_url = request.getfixturevalue("postgres_url")
            settings[key]["TEST_DATABASE_URL"] = create_database(admin_url, name)
        if "cache_backend:redis" in key:
            settings[key]["TEST_REDIS_URL"] = request.getfixturevalue("redis_url")
    root = tmp_path_factory.mktemp("locked-runs")
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        yield {
            key: pool.submit(sync_and_test, project, uv_env(**settings[key]), root / str(index))
            for index, (key, project) in enumerate(locked.items())
        }


def sync_and_test(project: Path, env: dict[str, str], basetemp: Path) -> str:
    sync = run_uv(project, "sync", "--locked", env=env)
    if sync.returncode != 0:
        unreachable = UNREACHABLE.search(sync.stderr)
        return ("the package index cannot be reached:\n" if unreachable else "") + sync.stderr
    args = ["run", "--locked", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not slow"]
    tests = run_uv(project, *args, "--basetemp", str(basetemp), "tests", env=env)
    if tests.returncode != 0 or " passed" not in tests.stdout:
        return tests.stdout[-5000:] + tests.stderr[-2000:]
    return ""


@pytest.mark.parametrize("key", SUBSET, ids=SUBSET)
def test_uv_sync_locked_gives_an_environment_whose_fast_tests_pass(locked_runs, key):
    failure = locked_runs[key].result()
    assert not failure, failure


def test_without_uv_generation_succeeds_and_says_in_one_line_how_to_lock_later(
    monkeypatch, capsys, tmp_path
):
    monkeypatch.setattr("shutil.which", lambda name, *args, **kwargs: None)
    monkeypatch.setitem(sys.modules, "uv", None)  # `import uv` raises ImportError
    MANIFEST.lock(tmp_path)
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"{LOCK} not written: uv was not found (https://docs.astral.sh/uv/); "
        f"run `uv lock` in {tmp_path} to write it"
    ]
    assert not (tmp_path / LOCK).exists()


def test_offline_generation_succeeds_without_a_lock_and_says_why_in_one_line(
    cookies, capfd, monkeypatch, tmp_path
):
    monkeypatch.setenv("UV_OFFLINE", "1")
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "empty-cache"))
    result = cookies.bake(extra_context={"_uv_lock": True})
    assert result.exit_code == 0, str(result.exception)
    project = Path(result.project_path)
    assert (project / "pyproject.toml").is_file() and not (project / LOCK).exists()
    (line,) = [line for line in capfd.readouterr().err.splitlines() if LOCK in line]
    assert line.startswith(f"{LOCK} not written: `uv lock` failed (offline?): ")
    assert line.endswith(f"; run `uv lock` in {project} to write it")
