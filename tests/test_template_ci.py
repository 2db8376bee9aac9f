"""The template's own CI workflow (.github/workflows/ci.yml at the template's root, which
cookiecutter does not render into projects): lint-clean as the generated projects' workflow is,
and running every test module exactly once, the per-combination ones in MATRIX_SHARD shards."""

import re
import shlex

import yaml

from tests.options import TEMPLATE
from tests.test_project_files import _actionlint, _json_schema

WORKFLOW = TEMPLATE / ".github" / "workflows" / "ci.yml"
# A module-level call of matrix(), or a test function asking for the `baked` fixture.
PER_COMBINATION = r"^\w.*\bmatrix\(\)|^def test_\w+\([^)]*\bbaked\b"


def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def pytest_arguments(job: dict) -> list[str]:
    """The arguments of the job's `python -m pytest` step."""
    (command,) = [step["run"] for step in job["steps"] if "pytest" in step.get("run", "")]
    words = shlex.split(command)
    assert words[:3] == ["python", "-m", "pytest"], command
    return words[3:]


def per_combination_modules() -> set[str]:
    """The test modules parametrized by the combinations of matrix(): those calling it at
    module level (for their ids) or asking for the `baked` fixture, which bakes them all."""
    return {
        f"tests/{path.name}"
        for path in (TEMPLATE / "tests").glob("test_*.py")
        if re.search(PER_COMBINATION, path.read_text(encoding="utf-8"), re.MULTILINE)
    }


def test_the_template_workflow_passes_actionlint_and_shellcheck():
    assert _actionlint([WORKFLOW.resolve()]) == {}


def test_the_template_workflow_follows_the_github_workflow_schema():
    assert _json_schema("vendor.github-workflows")([WORKFLOW.resolve()]) == {}


def test_the_workflow_is_read_only_and_a_new_push_cancels_the_superseded_run():
    document = workflow()
    assert document["permissions"] == {"contents": "read"}
    assert document["concurrency"]["cancel-in-progress"] is True
    assert "github.ref" in document["concurrency"]["group"]


def test_every_action_is_pinned_to_a_version():
    for name, job in workflow()["jobs"].items():
        for step in job["steps"]:
            if "uses" in step:
                assert re.fullmatch(r"[\w-]+/[\w-]+@(v\d+|[0-9a-f]{40})", step["uses"]), name


def test_the_shard_jobs_cover_every_shard_and_the_tests_job_runs_every_other_module():
    jobs = workflow()["jobs"]
    shards = jobs["matrix"]["strategy"]["matrix"]["shard"]
    count = len(shards)
    assert shards == list(range(1, count + 1))
    assert jobs["matrix"]["env"]["MATRIX_SHARD"] == f"${{{{ matrix.shard }}}}/{count}"
    assert f"of {count}" in jobs["matrix"]["name"]
    sharded = per_combination_modules()
    assert sharded == {"tests/test_matrix.py", "tests/test_project_files.py"}
    assert set(pytest_arguments(jobs["matrix"])) == sharded
    ignored = {word.removeprefix("--ignore=") for word in pytest_arguments(jobs["tests"])}
    assert ignored == sharded
    readme = (TEMPLATE / "README.md").read_text(encoding="utf-8")
    assert f"{count} shards" in readme
    assert f"MATRIX_SHARD=3/{count} .venv/bin/python -m pytest tests/test_matrix.py" in readme


def test_the_shard_jobs_hand_their_service_containers_to_the_session():
    job = workflow()["jobs"]["matrix"]
    assert set(job["services"]) == {"postgres", "redis"}
    # tests/conftest.py takes DATABASE_URL only when it names a PostgreSQL server.
    assert job["env"]["DATABASE_URL"].startswith("postgresql+psycopg://postgres:postgres@")
    assert job["env"]["DATABASE_URL"].endswith(":5432/postgres")
    assert job["env"]["REDIS_URL"].startswith("redis://") and ":6379/" in job["env"]["REDIS_URL"]


def test_the_lint_job_checks_the_tests_benchmarks_and_hooks():
    commands = [step.get("run", "") for step in workflow()["jobs"]["lint"]["steps"]]
    assert "ruff check tests bench hooks" in commands
    assert "ruff format --check tests bench hooks" in commands
