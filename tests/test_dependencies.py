"""Every dependency of every combination installs from wheels on every Python that CI tests.

The projects with every technique on, with each database, cache backend and pagination style,
together declare every dependency any combination can have ([project] dependencies and the
dependency groups). For each Python of the generated CI matrix, uv resolves that union, transitive
dependencies included, for CPython on x86-64 Linux (manylinux_2_28 and the older manylinux
tags, manylinux2014 = manylinux_2_17, as a slim Debian image installs them) from wheels only,
with the environment markers evaluated for that Python. (`pip install --dry-run --python-version`
is not enough: pip evaluates markers against the Python it runs on, so `backports.zstd;
python_version < '3.14'` would be wanted, and missing, on 3.14.)

It needs the package index: without it the test fails and says so, it never skips. Nothing is
cached: each run asks the index afresh (about two seconds per Python)."""

import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.tags import Tag, compatible_tags, cpython_tags
from packaging.utils import canonicalize_name, parse_wheel_filename

from tests.harness import ALL_ON, bake, cookiecutter_config
from tests.options import TEMPLATE

PLATFORM = "x86_64-manylinux_2_28"  # uv also accepts the older manylinux tags for it
WORKFLOW = ".github/workflows/ci.yml"
UNREACHABLE = re.compile(
    r"error sending request|dns error|failed to (?:fetch|connect)|connection refused|timed out",
    re.IGNORECASE,
)


def uv() -> str:
    found = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if found is None:
        pytest.fail("uv is not installed: .venv/bin/pip install -r requirements.txt", pytrace=False)
    return found


@pytest.fixture(scope="module")
def all_on_projects(tmp_path_factory) -> list[Path]:
    """Every technique on, with each database, cache backend and pagination style."""
    root = tmp_path_factory.mktemp("all-on")
    config = str(cookiecutter_config(root))
    choices = itertools.product(["sqlite", "postgresql"], ["simple", "redis"], ["cursor", "offset"])
    return [
        bake(
            {**ALL_ON, "database": db, "cache_backend": cache, "pagination_style": style},
            root / f"{db}-{cache}-{style}",
            config_file=config,
        )
        for db, cache, style in choices
    ]


@pytest.fixture(scope="module")
def requirements(all_on_projects, tmp_path_factory) -> Path:
    """The union of the projects' dependencies and dependency groups, as a requirements file."""
    union: set[str] = set()
    for project in all_on_projects:
        pyproject = tomllib.loads((project / "pyproject.toml").read_text())
        union.update(pyproject["project"]["dependencies"])
        for group in pyproject["dependency-groups"].values():
            union.update(group)
    path = tmp_path_factory.mktemp("requirements") / "requirements.txt"
    path.write_text("".join(f"{line}\n" for line in sorted(union)))
    return path


def ci_pythons() -> list[str]:
    """The Pythons of the generated CI matrix (the same in every combination)."""
    workflow = (TEMPLATE / "{{cookiecutter.project_slug}}" / WORKFLOW).read_text()
    (matrix,) = re.findall(r"^ +python: (\[.*\])$", workflow, re.MULTILINE)
    return json.loads(matrix)


def resolve(requirements: Path, python: str, output: Path) -> dict:
    """uv's resolution for `python` from wheels only, as a pylock.toml; fails the test, naming
    the cause, when there is none."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("UV_")}
    command = [uv(), "pip", "compile", "--quiet", "--no-config", "--no-cache"]
    command += ["--no-python-downloads", "--python-version", python]
    command += ["--python-platform", PLATFORM, "--only-binary", ":all:"]
    command += ["--format", "pylock.toml", "-o", str(output), str(requirements)]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    if result.returncode != 0:
        if UNREACHABLE.search(result.stderr):
            pytest.fail(
                f"PyPI cannot be reached; this test needs it:\n{result.stderr}", pytrace=False
            )
        pytest.fail(f"no wheels-only resolution for Python {python}:\n{result.stderr}")
    return tomllib.loads(output.read_text())


def supported_tags(python: str) -> list[Tag]:
    """The wheel tags pip accepts for CPython `python` on x86-64 Linux with glibc 2.28 (as a
    slim Debian image has, and newer), the best first."""
    version = tuple(int(part) for part in python.split("."))
    abi = f"cp{version[0]}{version[1]}"
    platforms = [f"manylinux_2_{minor}_x86_64" for minor in range(28, 4, -1)]
    platforms += ["manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64"]
    return [
        *cpython_tags(version, abis=[abi], platforms=platforms),
        *compatible_tags(version, abi, platforms),
    ]


def chosen_wheels(lock: dict, python: str) -> dict[str, str]:
    """package -> the wheel an installer takes for `python` (the best of those uv listed); fails
    the test for a package with none."""
    rank = {tag: index for index, tag in enumerate(supported_tags(python))}
    chosen = {}
    for package in lock["packages"]:
        name = canonicalize_name(package["name"])
        assert "sdist" not in package and "vcs" not in package, name
        filenames = [wheel["url"].rsplit("/", 1)[1] for wheel in package.get("wheels", [])]
        ranked = [
            (min(rank.get(tag, len(rank)) for tag in parse_wheel_filename(f)[3]), f)
            for f in filenames
        ]
        best = min(ranked, default=(len(rank), None))
        assert best[0] < len(rank), f"{name}: no wheel for CPython {python} among {filenames}"
        chosen[name] = best[1]
    return chosen


def test_ci_tests_the_pythons_from_3_11_to_3_14():
    assert ci_pythons() == ["3.11", "3.12", "3.13", "3.14"]


@pytest.mark.parametrize("python", ci_pythons())
def test_every_dependency_installs_from_wheels_on_each_python_ci_tests(
    requirements, tmp_path, python
):
    lock = resolve(requirements, python, tmp_path / "pylock.toml")
    wheels = chosen_wheels(lock, python)
    marker_env = {"python_version": python, "python_full_version": f"{python}.0"}
    required = {
        canonicalize_name(requirement.name)
        for line in requirements.read_text().splitlines()
        if (requirement := Requirement(line)).marker is None
        or requirement.marker.evaluate(marker_env)
    }
    assert required <= set(wheels), required - set(wheels)
    compiled = sorted(
        f"{name}: {wheel}" for name, wheel in wheels.items() if "-none-any" not in wheel
    )
    print(
        f"\nPython {python}: {len(wheels)} wheels, {len(compiled)} of them compiled:",
        *compiled,
        sep="\n  ",
    )


def test_a_dependency_without_a_wheel_for_the_python_fails_the_check(tmp_path):
    """The check has teeth: psycopg-binary 3.2.1 has no wheel for CPython 3.14."""
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("psycopg[binary]==3.2.1\n")
    with pytest.raises(pytest.fail.Exception, match="no wheels-only resolution for Python 3.14"):
        resolve(requirements, "3.14", tmp_path / "pylock.toml")
    assert chosen_wheels(resolve(requirements, "3.12", tmp_path / "pylock.toml"), "3.12")
