"""A project generated with cruft can turn an option on later: `cruft update
--variables-to-update` adds the option's files and changes the shared ones, keeps the user's own
edits, and leaves exactly the project a fresh bake with the new answers gives."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness import cookiecutter_config, project_env
from tests.options import MANIFEST, TEMPLATE

# What cruft clones: the template's own files, without caches.
TEMPLATE_FILES = ("cookiecutter.json", "hooks", "{{cookiecutter.project_slug}}")
CACHES = shutil.ignore_patterns("__pycache__", "*.pyc", ".ruff_cache", ".pytest_cache")
USER_NOTES = "\n## Our deployment notes\n\nWritten by the team after generation.\n"


def run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 120):
    result = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        pytest.fail(
            f"{' '.join(args)} exited {result.returncode} in {cwd}:\n"
            f"{result.stdout[-5000:]}\n{result.stderr[-5000:]}"
        )
    return result


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    """No user configuration of git or cookiecutter, nothing written outside tmp_path."""
    home = tmp_path / "home"
    home.mkdir()
    environ = {
        key: value
        for key, value in project_env(PYTEST_DISABLE_PLUGIN_AUTOLOAD="1").items()
        if not key.startswith(("GIT_", "COOKIECUTTER_", "XDG_"))
    }
    environ.update(
        HOME=str(home),
        COOKIECUTTER_CONFIG=str(cookiecutter_config(tmp_path)),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_AUTHOR_NAME="Template Tests",
        GIT_AUTHOR_EMAIL="template-tests@example.com",
        GIT_COMMITTER_NAME="Template Tests",
        GIT_COMMITTER_EMAIL="template-tests@example.com",
    )
    return environ


@pytest.fixture
def template_repo(tmp_path, env) -> Path:
    """The template as it is in the working tree, committed to a repository of its own."""
    repo = tmp_path / "template"
    repo.mkdir()
    for name in TEMPLATE_FILES:
        source = TEMPLATE / name
        if source.is_dir():
            shutil.copytree(source, repo / name, ignore=CACHES)
        else:
            shutil.copy2(source, repo / name)
    git(repo, env, "init", "-q", "-b", "main")
    # --force: the generated project's .gitignore must not keep template files out.
    git(repo, env, "add", "--all", "--force")
    git(repo, env, "commit", "-q", "-m", "template")
    return repo


def git(cwd: Path, env: dict[str, str], *args: str) -> str:
    return run(["git", *args], cwd, env).stdout


def cruft(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return run([sys.executable, "-m", "cruft", *args], cwd, env)


def create(template: Path, output: Path, env: dict[str, str], answers: dict) -> Path:
    output.mkdir()
    cruft(
        output, env, "create", "--no-input", "--extra-context", json.dumps(answers), str(template)
    )
    (project,) = output.iterdir()
    return project


def answers_of(project: Path) -> dict:
    return json.loads((project / ".cruft.json").read_text())["context"]["cookiecutter"]


def files(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(root).parts
    }


def commit_as_the_user(project: Path, env: dict[str, str]) -> None:
    """The user's repository: the project as generated, then a change of their own."""
    git(project, env, "init", "-q", "-b", "main")
    git(project, env, "add", "--all")
    git(project, env, "commit", "-q", "-m", "generated")
    with (project / "README.md").open("a") as readme:
        readme.write(USER_NOTES)
    git(project, env, "commit", "-q", "-am", "our notes")


def assert_applied_cleanly(project: Path, env: dict[str, str], old: dict, new: dict) -> None:
    """No rejected hunk, no conflict marker; git apply -3 staged what it applied: the option's
    files are added, none is in conflict."""
    assert list(project.rglob("*.rej")) == []
    assert list(project.rglob("*.orig")) == []
    marked = [
        path
        for path, content in files(project).items()
        if any(line.startswith((b"<<<<<<< ", b">>>>>>> ")) for line in content.splitlines())
    ]
    assert marked == []
    status = {
        line[3:]: line[:2] for line in git(project, env, "status", "--porcelain").splitlines()
    }
    added = MANIFEST.kept_paths(new) - MANIFEST.kept_paths(old)
    assert "src/{package}/caching.py".format(package=new["project_slug"]) in added
    assert {path for path, code in status.items() if code == "A "} == added
    assert all(code in ("M ", " M", "A ") for code in status.values()), status
    assert status["pyproject.toml"] == "M "
    if "tests/sql_counter.py" not in MANIFEST.kept_paths(old):
        assert "tests/sql_counter.py" in added


def assert_lint_and_tests_pass(project: Path, env: dict[str, str], basetemp: Path) -> None:
    for lint in (["check"], ["format", "--check"]):
        run([sys.executable, "-m", "ruff", *lint, "--no-cache", "."], project, env)
    pytest_args = ["-q", "-p", "no:cacheprovider", "--basetemp", str(basetemp)]
    pytest_args += ["-m", "not slow", "tests"]
    run([sys.executable, "-m", "pytest", *pytest_args], project, env, timeout=600)


@pytest.mark.parametrize(
    "before",
    [
        {"use_caching": False},
        # tests/sql_counter.py is shared: with these off too, caching is what brings it back.
        {"use_caching": False, "use_eager_loading": False, "use_pagination": False},
    ],
    ids=["caching-off", "caching-eager-loading-pagination-off"],
)
def test_cruft_update_turns_caching_on_as_a_fresh_bake_would(tmp_path, env, template_repo, before):
    project = create(template_repo, tmp_path / "project", env, before)
    old = answers_of(project)
    assert not (project / "src" / old["project_slug"] / "caching.py").exists()
    commit_as_the_user(project, env)

    update = cruft(
        project,
        env,
        "update",
        "--skip-apply-ask",
        "--variables-to-update",
        json.dumps({"use_caching": True}),
    )

    # cruft exits 0 even when the patch does not apply: the tree is what tells.
    output = update.stdout + update.stderr
    assert "has been updated" in output, output
    assert "Failed to apply" not in output, output
    new = answers_of(project)
    assert new == {**old, "use_caching": True}
    assert (project / "src" / new["project_slug"] / "caching.py").is_file()
    assert_applied_cleanly(project, env, old, new)

    # Exactly what cruft create gives with the new answers, plus the user's own change.
    fresh = create(template_repo, tmp_path / "fresh", env, {**before, "use_caching": True})
    expected = files(fresh)
    expected["README.md"] += USER_NOTES.encode()
    assert files(project) == expected

    git(project, env, "commit", "-q", "-am", "caching on")
    cruft(project, env, "check")
    assert_lint_and_tests_pass(project, env, tmp_path / "pytest")
