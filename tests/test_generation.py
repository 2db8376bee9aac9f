"""Answers are validated before generation; cosmetic answers render everywhere they appear."""

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.harness import project_env
from tests.options import COSMETIC_VARIATIONS, REJECTED, TEMPLATE


@pytest.mark.parametrize(
    ("answers", "message"), REJECTED, ids=[f"{k}:{v}" for a, _ in REJECTED for k, v in a.items()]
)
def test_invalid_answers_stop_generation_naming_the_option(cookies, capfd, answers, message):
    result = cookies.bake(extra_context=answers)
    assert result.exit_code != 0
    assert result.exception is not None
    assert message in capfd.readouterr().err
    assert list(Path(cookies._output_factory("x")).parent.glob("*/*")) == []


@pytest.mark.parametrize(
    ("project_name", "slug"),
    [("Users API", "users_api"), ("O'Brien API", "o_brien_api"), ("Café — Orders", "cafe_orders")],
)
def test_the_package_name_is_derived_from_any_project_name(cookies, project_name, slug):
    result = cookies.bake(extra_context={"project_name": project_name})
    assert result.exit_code == 0, str(result.exception)
    assert (Path(result.project_path) / "src" / slug / "__init__.py").is_file()


def test_no_input_bake_from_the_command_line_gives_the_default_project(tmp_path):
    subprocess.run(
        # _uv_lock=false: as any answer on the command line; tests/test_lock.py bakes with a lock.
        [sys.executable, "-m", "cookiecutter", "--no-input", str(TEMPLATE), "_uv_lock=false"]
        + ["-o", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    project = tmp_path / "users_api"
    assert (project / "src" / "users_api" / "__init__.py").is_file()
    assert "MIT License" in (project / "LICENSE").read_text()


@pytest.mark.parametrize(
    "answers",
    COSMETIC_VARIATIONS,
    ids=["-".join(f"{k}:{v}"[:40] for k, v in a.items()) for a in COSMETIC_VARIATIONS],
)
def test_cosmetic_answers_render_and_the_project_passes_lint_and_tests(cookies, answers):
    result = cookies.bake(extra_context=answers)
    assert result.exit_code == 0, str(result.exception)
    project = Path(result.project_path)
    readme = (project / "README.md").read_text()
    assert result.context["project_name"] in readme
    license_file = project / "LICENSE"
    license_name = answers.get("open_source_license", "MIT")
    assert license_file.exists() == (license_name != "Not open source")
    pyproject = (project / "pyproject.toml").read_text()
    assert ("license = " in pyproject) == (license_name != "Not open source")
    metadata = tomllib.loads(pyproject)["project"]
    assert metadata["description"] == result.context["description"]
    assert metadata["authors"] == [
        {"name": result.context["author_name"], "email": result.context["email"]}
    ]
    for command in (["check"], ["format", "--check"]):
        lint = subprocess.run(
            [sys.executable, "-m", "ruff", *command, "--no-cache", str(project)],
            capture_output=True,
            text=True,
        )
        assert lint.returncode == 0, lint.stdout + lint.stderr
    tests = subprocess.run(
        # The default project's slow tests run in the matrix; names and documents do not reach them.
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not slow", "tests"],
        cwd=project,
        env=project_env(PYTEST_DISABLE_PLUGIN_AUTOLOAD="1"),
        capture_output=True,
        text=True,
    )
    assert tests.returncode == 0, tests.stdout[-5000:]
