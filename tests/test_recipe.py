"""The generated README's recipe "Add a resource", followed: a `products` resource (an exact
Decimal price; each product belongs to a user and embeds its owner) is added to a baked project
of the covering subset, touching only the places the recipe names (a new module, two lines of
the app factory, a migration, a test module), from the files in tests/recipe/, rendered with the
project's answers as the README renders its steps. The project then passes ruff and its suite
with the products' tests, which prove for products what the project proves for users in that
combination; the fuzzing of /openapi.json covers the products' operations, at length
(test_openapi_thorough.py) for them. The project's own slow tests (gunicorn, the thorough
fuzzing of users) are left to the matrix, which runs them on the same combinations."""

import hashlib
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest

from tests.harness import bake, create_database, project_env
from tests.options import DEFAULTS, combo_id, covering_subset
from tests.project_runner import run_project_tests

RECIPE = Path(__file__).resolve().parent / "recipe"
SUBSET = {combo_id(answers): answers for answers in covering_subset()}
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


def lint(project: Path) -> str:
    problems = ""
    for command in (["check", "--no-cache"], ["format", "--check", "--no-cache"]):
        done = subprocess.run(
            [sys.executable, "-m", "ruff", *command, str(project)], capture_output=True, text=True
        )
        problems += done.stdout if done.returncode else ""
    return problems


@pytest.mark.parametrize("key", list(SUBSET), ids=list(SUBSET))
def test_a_resource_added_by_the_recipe_gets_every_technique(request, tmp_path, key):
    answers = SUBSET[key]
    project = bake(answers, tmp_path, tries=1)
    add_products(project, answers)
    assert lint(project) == ""
    settings = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    if answers["database"] == "postgresql":
        name = "recipe_" + hashlib.sha1(key.encode()).hexdigest()[:16]
        admin_url = request.getfixturevalue("postgres_url")
        settings["TEST_DATABASE_URL"] = create_database(admin_url, name)
    if answers.get("use_caching") and answers.get("cache_backend") == "redis":
        settings["TEST_REDIS_URL"] = request.getfixturevalue("redis_url")
    args = ["-q", "-p", "no:cacheprovider", "-W", "ignore::pytest.PytestAssertRewriteWarning"]
    args += ["--basetemp", str(tmp_path / "pytest"), "-k", "not slow or products", "tests"]
    code, output = run_project_tests(project, args, project_env(**settings), timeout=600)
    assert code == 0, output[-8000:]
