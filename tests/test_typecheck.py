"""Generated projects pass `mypy --strict` with their own settings ([tool.mypy] in pyproject.toml:
src and tests), as `make typecheck`, pre-commit and their CI run it. Checked: the covering
subset, plus the combinations that put every pair of option values in at least one checked
project (tests/options.py, typecheck_subset()). mypy analyses the libraries once, for the first
project, into a cache that the others start from (a copy per worker, two workers): then each
project costs the check of its own modules, a few seconds."""

import shutil
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.harness import bake, mypy
from tests.options import (
    combinations,
    combo_id,
    covering_subset,
    pairwise_covering,
    typecheck_subset,
    value_pairs,
)

CHECKED = {combo_id(answers): answers for answers in typecheck_subset()}
IDS = list(CHECKED)
WORKERS = 2
BAKED_AT = 1_700_000_000  # seconds since the epoch: the mtime of the first project's files


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("typecheck")


@pytest.fixture(scope="module")
def checked(root) -> dict[str, tuple[Path, str]]:
    """Each checked project, and what mypy reports on it."""
    projects = {key: bake(CHECKED[key], root / f"project{n}") for n, key in enumerate(IDS)}
    stamps = {key: BAKED_AT + n for n, key in enumerate(IDS)}  # each project's files' mtime
    warm = root / "cache"
    first, *rest = IDS
    reports = {first: mypy(projects[first], warm, stamps[first])}
    caches = [shutil.copytree(warm, root / f"cache{n}") for n in range(WORKERS)]

    def check_share(worker: int) -> dict[str, str]:
        share = rest[worker::WORKERS]
        return {key: mypy(projects[key], caches[worker], stamps[key]) for key in share}

    with ThreadPoolExecutor(WORKERS) as pool:
        for share in pool.map(check_share, range(WORKERS)):
            reports |= share
    return {key: (projects[key], reports[key]) for key in IDS}


@pytest.mark.parametrize("key", IDS, ids=IDS)
def test_the_code_and_the_tests_of_the_project_pass_mypy_strict(checked, key):
    _, report = checked[key]
    assert report == "", report


def test_a_type_error_in_a_project_fails_its_check(checked, root, tmp_path):
    """The check can fail: one wrong annotation in a copy of a checked project."""
    project, _ = checked[IDS[0]]
    broken = shutil.copytree(project, tmp_path / project.name)
    config = broken / "src" / project.name / "config.py"
    config.write_text(config.read_text() + '\nBROKEN: int = "not a number"\n')
    report = mypy(broken, shutil.copytree(root / "cache", tmp_path / "cache"))
    assert report.startswith("exit 1\n")
    assert f"src/{project.name}/config.py:" in report
    assert "Incompatible types in assignment" in report


def test_the_wheel_ships_py_typed_so_the_package_types_reach_its_users(checked, tmp_path):
    project, _ = checked[IDS[0]]
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    subprocess.run([*command, "-q", "-w", str(tmp_path), str(project)], check=True, timeout=300)
    (wheel,) = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        assert f"{project.name}/py.typed" in archive.namelist()


def test_every_pair_of_option_values_is_in_a_checked_project():
    every_pair = set().union(*(value_pairs(answers) for answers in combinations()))
    checked_pairs = set().union(*(value_pairs(answers) for answers in CHECKED.values()))
    assert every_pair - checked_pairs == set()
    # 8 factors, 6 of two values and 2 of three (pagination, caching: off or the sub-choice)
    assert len(every_pair) == 15 * 2 * 2 + 6 * 2 * (2 * 3) + 1 * 3 * 3
    assert all(answers in CHECKED.values() for answers in covering_subset())


def test_a_pair_left_out_of_the_checked_projects_is_noticed():
    """The pairwise array is built, not listed: without the covering subset to start from, it
    still covers every pair, with other projects; take one away and a pair goes missing."""
    array = pairwise_covering([])
    every_pair = set().union(*(value_pairs(answers) for answers in combinations()))
    assert set().union(*(value_pairs(answers) for answers in array)) == every_pair
    assert set().union(*(value_pairs(answers) for answers in array[:-1])) != every_pair
    assert len(array) < len(CHECKED) < len(combinations())
