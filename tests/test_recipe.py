"""The generated README's recipe "Add a resource", followed: a `products` resource (an exact
Decimal price; each product belongs to a user and embeds its owner) is added to a baked project
of the covering subset, touching only the places the recipe names (a new module, two lines of
the app factory, a migration, a test module), from the files in tests/recipe/, rendered with the
project's answers as the README renders its steps. The project then passes ruff, its own mypy
--strict (`make typecheck`; one mypy cache for the module's projects) and its suite with the
products' tests, which prove for products what the project proves for users in that
combination; the fuzzing of /openapi.json covers the products' operations, at length
(test_openapi_thorough.py) for them. The project's own slow tests (gunicorn, the thorough
fuzzing of users) are left to the matrix, which runs them on the same combinations."""

import ast
import hashlib
import itertools
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest

from tests.harness import bake, create_database, mypy, project_env
from tests.options import DEFAULTS, combo_id, covering_subset
from tests.project_runner import run_project_tests

RECIPE = Path(__file__).resolve().parent / "recipe"
SUBSET = {combo_id(answers): answers for answers in covering_subset()}
STAMPS = itertools.count(1_700_000_000)  # the mtime of each project's files, its own (mypy)
# The recipe's edits of existing files: (file, the line it follows, the line it adds).
EDITS = [
    ("src/{package}/__init__.py", "from . import openapi\n", "from . import products\n"),
    (
        "src/{package}/__init__.py",
        "    app.register_blueprint(users.bp)\n",
        "    app.register_blueprint(products.bp)\n",
    ),
]
# The recipe's new files: tests/recipe/<name> -> its place in the project.
NEW_FILES = {
    "products.py": "src/{package}/products.py",
    "0002_create_products.py": "src/{package}/migrations/versions/0002_create_products.py",
    "test_products.py": "tests/test_products.py",
}


def add_products(project: Path, answers: dict[str, object]) -> None:
    """Follow the recipe: the new files, rendered for `answers`, then the edits."""
    context = {"cookiecutter": {**DEFAULTS, **answers, "project_slug": project.name}}
    environment = jinja2.Environment(keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    for name, place in NEW_FILES.items():
        template = environment.from_string((RECIPE / name).read_text())
        (project / place.format(package=project.name)).write_text(template.render(context))
    for place, after, line in EDITS:
        path = project / place.format(package=project.name)
        text = path.read_text()
        assert text.count(after) == 1, f"{place} no longer has the line the recipe names: {after}"
        path.write_text(text.replace(after, after + line))


# "Remove the sample resource": the top-level definitions that are the sample's, by file.
SAMPLE_DEFINITIONS = {
    "src/{package}/models.py": {"User", "Address"},
    "src/{package}/schemas.py": {
        "UserCreate",
        "UserUpdate",
        "AddressCreate",
        "Address",
        "User",
        "UserPage",
        "UserList",
        "AddressList",
        "address_to_dict",
        "user_to_dict",
    },
    "src/{package}/commands.py": {"seed", "_insert_users"},
    "tests/conftest.py": {"make_user", "seed"},
}
SAMPLE_LINES = {
    "src/{package}/__init__.py": [
        "from . import users\n",
        "    app.register_blueprint(users.bp)\n",
    ],
    "src/{package}/commands.py": ["    app.cli.add_command(seed)\n"],
}
# The tests written for the sample, as the recipe finds them.
SAMPLE_TESTS = re.compile(r"/api/users|make_user|\bseed\b|models import (User|Address)")


def remove_sample(project: Path) -> None:
    """Follow "Remove the sample resource": its module, definitions, lines and tests go, a
    revision drops its tables (0001 with its two functions swapped), and ruff's fixes remove
    the imports nothing uses any more."""
    package = project / "src" / project.name
    (package / "users.py").unlink()
    shutil.rmtree(project / "bench")
    for test in sorted((project / "tests").glob("test_*.py")):
        if SAMPLE_TESTS.search(test.read_text()):
            test.unlink()
    for place, names in SAMPLE_DEFINITIONS.items():
        path = project / place.format(package=project.name)
        path.write_text(_without_definitions(path.read_text(), names))
    for place, lines in SAMPLE_LINES.items():
        path = project / place.format(package=project.name)
        text = path.read_text()
        for line in lines:
            assert text.count(line) == 1, f"{place} no longer has the line the recipe names: {line}"
            text = text.replace(line, "")
        path.write_text(text)
    versions = package / "migrations" / "versions"
    revision = (versions / "0001_create_users_and_addresses.py").read_text()
    for old, new in (
        ("def upgrade(", "def _up("),
        ("def downgrade(", "def upgrade("),
        ("def _up(", "def downgrade("),
        ('"""Create users', '"""Drop users'),
        ("Revision ID: 0001\nRevises:", "Revision ID: 0002\nRevises: 0001"),
        ('revision: str = "0001"', 'revision: str = "0002"'),
        ("| None = None\nbranch", '| None = "0001"\nbranch'),
    ):
        revision = revision.replace(old, new, 1)
    (versions / "0002_drop_users_and_addresses.py").write_text(revision)
    for fix in (["check", "--fix", "--no-cache"], ["format", "--no-cache"]):
        subprocess.run([sys.executable, "-m", "ruff", *fix, str(project)], capture_output=True)


def _without_definitions(source: str, names: set[str]) -> str:
    """`source` without its top-level functions and classes named `names` (decorators too)."""
    lines = source.splitlines(keepends=True)
    for node in reversed(ast.parse(source).body):
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name in names:
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
            del lines[start : node.end_lineno]
    return "".join(lines)


def lint(project: Path) -> str:
    problems = ""
    for command in (["check", "--no-cache"], ["format", "--check", "--no-cache"]):
        done = subprocess.run(
            [sys.executable, "-m", "ruff", *command, str(project)], capture_output=True, text=True
        )
        problems += done.stdout if done.returncode else ""
    return problems


@pytest.mark.parametrize("key", list(SUBSET), ids=list(SUBSET))
def test_a_resource_added_by_the_recipe_gets_every_technique(request, tmp_path, mypy_cache, key):
    answers = SUBSET[key]
    project = bake(answers, tmp_path, tries=1)
    add_products(project, answers)
    assert lint(project) == ""
    assert mypy(project, mypy_cache, next(STAMPS)) == ""  # `make typecheck`, products included
    code, output = run_suite(request, project, key, "-k", "not slow or products")
    assert code == 0, output[-8000:]


@pytest.mark.parametrize("key", list(SUBSET), ids=list(SUBSET))
def test_without_the_sample_resource_the_project_passes_lint_and_its_suite(
    request, tmp_path, mypy_cache, key
):
    project = bake(SUBSET[key], tmp_path, tries=1)
    remove_sample(project)
    assert not (project / "src" / project.name / "users.py").exists()
    assert lint(project) == ""
    assert mypy(project, mypy_cache, next(STAMPS)) == ""
    code, output = run_suite(request, project, key, "-m", "not slow")
    assert code == 0, output[-8000:]


@pytest.fixture(scope="module")
def mypy_cache(tmp_path_factory) -> Path:
    """One mypy cache for the module's projects: the libraries are analysed for the first."""
    return tmp_path_factory.mktemp("mypy-cache")


def run_suite(request, project: Path, key: str, *selection: str) -> tuple[int, str]:
    """The project's own tests (`selection` of them), on the servers its answers need."""
    answers = SUBSET[key]
    settings = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    if answers["database"] == "postgresql":
        name = "recipe_" + hashlib.sha1(f"{project}".encode()).hexdigest()[:16]
        admin_url = request.getfixturevalue("postgres_url")
        settings["TEST_DATABASE_URL"] = create_database(admin_url, name)
    if answers.get("use_caching") and answers.get("cache_backend") == "redis":
        settings["TEST_REDIS_URL"] = request.getfixturevalue("redis_url")
    args = ["-q", "-p", "no:cacheprovider", "-W", "ignore::pytest.PytestAssertRewriteWarning"]
    args += ["--basetemp", f"{project}.tmp", *selection, "tests"]
    return run_project_tests(project, args, project_env(**settings), timeout=600)
