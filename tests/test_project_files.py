"""The files that build, run and check a generated project around its Python code: Dockerfile
and .dockerignore, compose.yaml, the CI workflow, the pre-commit configuration, .editorconfig
and the Makefile.

The matrix renders each of these files in only a few distinct ways, so every linter runs once
per distinct content (hadolint, actionlint with shellcheck, check-jsonschema, docker-compose,
make, pre-commit), and each combination then reads the findings for its own content. The
Dependabot configuration and the classifiers of pyproject.toml are checked here too."""

import configparser
import functools
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.options import DEFAULTS, MANIFEST, TEMPLATE, combo_id, matrix

COMBINATIONS = {combo_id(answers): answers for answers in matrix()}
IDS = list(COMBINATIONS)

DOCKERFILE = "Dockerfile"
COMPOSE = "compose.yaml"
WORKFLOW = ".github/workflows/ci.yml"
DEPENDABOT = ".github/dependabot.yml"
MAKEFILE = "Makefile"
PRE_COMMIT = ".pre-commit-config.yaml"
PYTHONS = ["3.11", "3.12", "3.13", "3.14"]
# uv.lock, which the post-gen hook writes when it can lock (the matrix bakes without it).
LOCK = MANIFEST.LOCK_FILE
TOOLS_HINT = "install the template's test tools: .venv/bin/pip install -r requirements.txt"


def tool(name: str) -> str:
    """The executable `name`, from this interpreter's environment first; fails the test when it
    is missing (never skips)."""
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: {TOOLS_HINT}", pytrace=False)
    return found


def answers_of(baked, manifest, key: str) -> dict:
    return {**DEFAULTS, **COMBINATIONS[key], "project_slug": baked[key].name}


def uses_postgres(answers: dict) -> bool:
    return answers["database"] == "postgresql"


def uses_redis(answers: dict, manifest) -> bool:
    return manifest.chosen(answers, "cache_backend", "redis")


def backing_services(answers: dict, manifest) -> set[str]:
    """The servers the project talks to besides itself, by their compose and CI service name."""
    return {
        name
        for name, used in (
            ("postgres", uses_postgres(answers)),
            ("redis", uses_redis(answers, manifest)),
        )
        if used
    }


@functools.cache
def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@functools.cache
def _yaml(text: str):
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def read_yaml(path: Path):
    return _yaml(_read(path))


def lint_each_distinct(
    baked: dict[str, Path], relative: str, lint: Callable[[list[Path]], dict[Path, list[str]]]
) -> dict[str, list[str]]:
    """Group the projects by the content of `relative`, run `lint` on one file per group, and
    give every combination the findings of its group: combo id -> findings."""
    groups: dict[str, list[str]] = {}
    for key, project in baked.items():
        groups.setdefault(_read(project / relative), []).append(key)
    representatives = {(baked[keys[0]] / relative).resolve(): keys for keys in groups.values()}
    found = lint(list(representatives))
    return {key: found.get(path, []) for path, keys in representatives.items() for key in keys}


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, **kwargs)


# --- the linters, each over every distinct content at once --------------------------------------


def _hadolint(paths: list[Path]) -> dict[Path, list[str]]:
    result = run([tool("hadolint"), "--no-color", "--format", "json", *map(str, paths)])
    if result.returncode not in (0, 1) or not result.stdout.strip():
        pytest.fail(f"hadolint did not run: {result.stderr}", pytrace=False)
    findings: dict[Path, list[str]] = {}
    for item in json.loads(result.stdout):
        findings.setdefault(Path(item["file"]).resolve(), []).append(
            f"line {item['line']}: {item['code']} {item['level']}: {item['message']}"
        )
    return findings


def _actionlint(paths: list[Path]) -> dict[Path, list[str]]:
    command = [tool("actionlint"), "-no-color", "-format", "{{json .}}"]
    command += ["-shellcheck", tool("shellcheck"), *map(str, paths)]
    result = run(command, cwd="/")
    if result.returncode not in (0, 1):
        pytest.fail(f"actionlint did not run: {result.stderr}", pytrace=False)
    findings: dict[Path, list[str]] = {}
    for item in json.loads(result.stdout or "[]") or []:
        findings.setdefault(Path("/", item["filepath"]).resolve(), []).append(
            f"line {item['line']}: [{item['kind']}] {item['message']}"
        )
    return findings


def _json_schema(schema: str) -> Callable[[list[Path]], dict[Path, list[str]]]:
    def check(paths: list[Path]) -> dict[Path, list[str]]:
        command = [tool("check-jsonschema"), "--builtin-schema", schema, "-o", "json"]
        result = run([*command, *map(str, paths)])
        try:
            report = json.loads(result.stdout)
        except json.JSONDecodeError:
            pytest.fail(f"check-jsonschema did not run: {result.stderr}", pytrace=False)
        findings: dict[Path, list[str]] = {}
        for error in report["errors"] + report.get("parse_errors", []):
            detail = error.get("best_deep_match", error)
            findings.setdefault(Path(error["filename"]).resolve(), []).append(
                f"{detail.get('path', '')}: {detail.get('message', error)}"
            )
        return findings

    return check


def _isolated_env(tmp: Path, **extra: str) -> dict[str, str]:
    """No user configuration, no .env of the caller: only PATH and a throwaway HOME."""
    return {"PATH": os.environ["PATH"], "HOME": str(tmp), **extra}


def _docker_compose_config(tmp: Path) -> Callable[[list[Path]], dict[Path, list[str]]]:
    """`docker-compose config` resolves and validates the file as Docker Compose itself does
    (service references, volumes, interpolation); no Docker daemon is needed."""

    def check(paths: list[Path]) -> dict[Path, list[str]]:
        findings: dict[Path, list[str]] = {}
        for path in paths:
            env = _isolated_env(tmp, SECRET_KEY="not-a-secret")
            result = run(
                [tool("docker-compose"), "-f", str(path), "config", "--quiet"],
                cwd=path.parent,
                env=env,
            )
            if result.returncode != 0:
                findings[path] = [result.stderr.strip() or result.stdout.strip()]
        return findings

    return check


@pytest.fixture(scope="session")
def hadolint_findings(baked):
    return lint_each_distinct(baked, DOCKERFILE, _hadolint)


@pytest.fixture(scope="session")
def actionlint_findings(baked):
    return lint_each_distinct(baked, WORKFLOW, _actionlint)


@pytest.fixture(scope="session")
def workflow_schema_findings(baked):
    return lint_each_distinct(baked, WORKFLOW, _json_schema("vendor.github-workflows"))


@pytest.fixture(scope="session")
def dependabot_schema_findings(baked):
    return lint_each_distinct(baked, DEPENDABOT, _json_schema("vendor.dependabot"))


@pytest.fixture(scope="session")
def compose_schema_findings(baked):
    return lint_each_distinct(baked, COMPOSE, _json_schema("vendor.compose-spec"))


@pytest.fixture(scope="session")
def compose_config_findings(baked, tmp_path_factory):
    return lint_each_distinct(
        baked, COMPOSE, _docker_compose_config(tmp_path_factory.mktemp("compose-home"))
    )


# --- Dockerfile ---------------------------------------------------------------------------------


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    logical, current = [], ""
    for line in _read(dockerfile).splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.lstrip().startswith("#"):  # a comment inside a continued instruction
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    pairs = []
    for line in logical:
        word, _, rest = line.strip().partition(" ")
        pairs.append((word.upper(), rest.strip()))
    return pairs


def final_stage(dockerfile: Path) -> list[tuple[str, str]]:
    steps = instructions(dockerfile)
    last_from = max(i for i, (word, _) in enumerate(steps) if word == "FROM")
    return steps[last_from:]


def env_of(steps: list[tuple[str, str]]) -> dict[str, str]:
    env = {}
    for word, rest in steps:
        if word == "ENV":
            for item in shlex.split(rest):
                name, _, value = item.partition("=")
                env[name] = value
    return env


def copy_sources(steps: list[tuple[str, str]]) -> list[str]:
    """The build-context paths of every COPY/ADD (not those copied from another stage)."""
    sources = []
    for word, rest in steps:
        if word not in ("COPY", "ADD"):
            continue
        args = json.loads(rest) if rest.startswith("[") else shlex.split(rest)
        flags = [arg for arg in args if arg.startswith("--")]
        if any(flag.startswith("--from") for flag in flags):
            continue
        sources += [arg for arg in args if not arg.startswith("--")][:-1]
    return sources


def _glob_regex(pattern: str) -> re.Pattern:
    """A .dockerignore pattern (Go filepath.Match plus `**`) as a regular expression."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            out, i = out + pattern[i : end + 1], end + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def ignored_by_docker(project: Path, relative: str) -> bool:
    """Whether .dockerignore keeps `relative` out of the build context: the last pattern that
    matches the path or one of its parent folders decides; `!` patterns re-include."""
    patterns = [
        line.strip()
        for line in _read(project / ".dockerignore").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    parts = relative.split("/")
    prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    ignored = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        regex = _glob_regex(pattern.removeprefix("!").strip("/"))
        if any(regex.fullmatch(prefix) for prefix in prefixes):
            ignored = not negated
    return ignored


@pytest.mark.parametrize("key", IDS, ids=IDS)
def test_dockerfile_passes_hadolint_without_a_single_finding(hadolint_findings, key):
    assert hadolint_findings[key] == []


@pytest.mark.parametrize("key", IDS, ids=IDS)
def test_every_file_the_dockerfile_copies_exists_and_is_in_the_build_context(baked, key):
    project = baked[key]
    sources = copy_sources(instructions(project / DOCKERFILE))
    assert {"pyproject.toml", LOCK, "README.md", "gunicorn.conf.py"} <= set(sources)
    for source in sources:
        path = project / source
        if source == LOCK:  # baked without it here; tests/test_lock.py bakes with it
            assert not ignored_by_docker(project, LOCK)
            continue
        assert path.exists(), f"the Dockerfile copies {source}, which the project lacks"
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        sent = [f for f in files if not ignored_by_docker(project, str(f.relative_to(project)))]
        assert sent, f"the Dockerfile copies {source}, which .dockerignore leaves out"


@pytest.mark.parametrize("key", IDS, ids=IDS)
def test_image_installs_exactly_what_uv_lock_pins_with_uv_from_its_pinned_official_image(
    baked, key
):
    """Nothing is resolved at build time: `uv sync --locked` refuses a lock that disagrees with
    pyproject.toml, and installs the pinned versions with their hashes; the dev group stays
    out. The dependencies are a layer of their own, before the code is copied."""
    steps = instructions(baked[key] / DOCKERFILE)
    commands = [f"{word} {rest}" for word, rest in steps]
    (uv_copy,) = [command for command in commands if "astral-sh/uv" in command]
    assert re.fullmatch(r"COPY --from=ghcr\.io/astral-sh/uv:\d+\.\d+\.\d+ /uv /bin/uv", uv_copy)
    runs = [rest for word, rest in steps if word == "RUN"]
    assert runs[:2] == [
        "uv sync --locked --no-dev --no-install-project",
        "uv sync --locked --no-dev --no-editable",
    ]
    assert not any("pip " in rest or "uv lock" in rest or "uv pip" in rest for rest in runs)
    lock_copy = commands.index(f"COPY pyproject.toml {LOCK} ./")
    assert lock_copy < commands.index("COPY src ./src")
    assert env_of(steps)["UV_PROJECT_ENVIRONMENT"] == "/opt/venv"


def test_a_project_without_a_license_neither_copies_nor_sends_one(cookies):
    result = cookies.bake(extra_context={"open_source_license": "Not open source"})
    assert result.exit_code == 0, str(result.exception)
    project = Path(result.project_path)
    sources = copy_sources(instructions(project / DOCKERFILE))
    assert "LICENSE" not in sources
    assert all((project / source).exists() for source in sources if source != LOCK)
    assert "LICENSE" not in _read(project / ".dockerignore")
    assert _hadolint([(project / DOCKERFILE).resolve()]) == {}


@pytest.mark.parametrize("key", IDS, ids=IDS)
def test_dockerignore_sends_the_package_and_keeps_secrets_and_local_state_out(baked, key):
    project = baked[key]
    package = project.name
    assert not ignored_by_docker(project, f"src/{package}/__init__.py")
    assert not ignored_by_docker(project, f"src/{package}/migrations/env.py")
    for local in (".env", ".venv/bin/python", "instance/db", "tests/conftest.py", ".git/HEAD"):
        assert ignored_by_docker(project, local), local
    assert ignored_by_docker(project, f"src/{package}/__pycache__/app.cpython-312.pyc")


@pytest.mark.parametrize("key", IDS, ids=IDS)
def test_image_is_built_in_two_stages_on_a_pinned_slim_python(baked, key):
    steps = instructions(baked[key] / DOCKERFILE)
    bases = [rest.split()[0] for word, rest in steps if word == "FROM"]
    assert len(bases) == 2
    for base in bases:
        assert re.fullmatch(r"python:3\.\d+\.\d+-slim-[a-z]+", base), base
    stage = final_stage(baked[key] / DOCKERFILE)
    assert "COPY --from=builder /opt/venv /opt/venv" in [f"{w} {r}" for w, r in stage]
    assert not any(word == "RUN" and "pip install" in rest for word, rest in stage)


@pytest.mark.parametrize("key", IDS, ids=IDS)
def test_image_serves_gunicorn_conf_as_a_non_root_user_with_a_healthcheck_on_healthz(baked, key):
    project = baked[key]
    stage = final_stage(project / DOCKERFILE)
    env = env_of(stage)
    assert env["HOST"] == "0.0.0.0" and env["PORT"] == "8000"
    assert env["PYTHONDONTWRITEBYTECODE"] == "1" and env["PYTHONUNBUFFERED"] == "1"
    users = [rest for word, rest in stage if word == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    (cmd,) = [json.loads(rest) for word, rest in stage if word == "CMD"]
    assert cmd == ["gunicorn", "-c", "gunicorn.conf.py"]
    wsgi_app = f'wsgi_app = "{project.name}:create_app()"'
    assert wsgi_app in _read(project / "gunicorn.conf.py")
    (healthcheck,) = [rest for word, rest in stage if word == "HEALTHCHECK"]
    assert "urllib.request" in healthcheck and "/healthz" in healthcheck
    assert "curl" not in healthcheck and "wget" not in healthcheck


@pytest.mark.parametrize("key", IDS, ids=IDS)
def test_sqlite_images_keep_the_database_on_a_data_volume_the_app_user_owns(baked, manifest, key):
    project = baked[key]
    stage = final_stage(project / DOCKERFILE)
    env = env_of(stage)
    volumes = [rest for word, rest in stage if word == "VOLUME"]
    app = read_yaml(project / COMPOSE)["services"]["app"]
    if uses_postgres(answers_of(baked, manifest, key)):
        assert "DATABASE_URL" not in env and volumes == []
        assert "volumes" not in app
        return
    assert env["DATABASE_URL"] == f"sqlite:////data/{project.name}.sqlite3"
    assert volumes == ["/data"]
    words = [word for word, _ in stage]
    (prepare,) = [i for i, (w, r) in enumerate(stage) if w == "RUN" and "/data" in r]
    assert "--owner=app" in stage[prepare][1] and prepare < words.index("VOLUME")
    assert app["volumes"] == ["data:/data"]


# --- compose.yaml -------------------------------------------------------------------------------


@pytest.mark.parametrize("key", IDS, ids=IDS)
def test_compose_file_follows_the_compose_specification(compose_schema_findings, key):
    """check-jsonschema, with the Compose Specification's schema."""
    assert compose_schema_findings[key] == []


@pytest.mark.parametrize("key", IDS, ids=IDS)
def test_docker_compose_accepts_the_compose_file(compose_config_findings, key):
    """`docker-compose config`: services, volumes and interpolation resolve, as Docker Compose
    itself reads them."""
    assert compose_config_findings[key] == []


@pytest.mark.parametrize("key", IDS, ids=IDS)
def test_compose_runs_postgres_and_redis_exactly_when_the_answers_use_them(baked, manifest, key):
    answers = answers_of(baked, manifest, key)
    package = baked[key].name
    services = read_yaml(baked[key] / COMPOSE)["services"]
    backing = backing_services(answers, manifest)
    assert set(services) == {"app"} | set(backing)
    app = services["app"]
    assert app.get("depends_on", {}) == {
        name: {"condition": "service_healthy"} for name in sorted(backing)
    }
    for name in backing:
        assert services[name]["healthcheck"]["test"][0] == "CMD"
    env = app["environment"]
    if uses_postgres(answers):
        assert services["postgres"]["image"].startswith("postgres:")
        user = services["postgres"]["environment"]["POSTGRES_USER"]
        password = services["postgres"]["environment"]["POSTGRES_PASSWORD"]
        database = services["postgres"]["environment"]["POSTGRES_DB"]
        url = f"postgresql+psycopg://{user}:{password}@postgres:5432/{database}"
        assert env["DATABASE_URL"] == url and database == package
    else:
        assert "DATABASE_URL" not in env  # the image's SQLite file on the data volume
    if uses_redis(answers, manifest):
        assert services["redis"]["image"].startswith("redis:")
        assert env["REDIS_URL"] == "redis://redis:6379/0"
    else:
        assert "REDIS_URL" not in env


@pytest.mark.parametrize("key", IDS, ids=IDS)
def test_compose_serves_on_localhost_after_migrating_and_requires_a_secret_key(baked, key):
    package = baked[key].name
    compose = read_yaml(baked[key] / COMPOSE)
    app = compose["services"]["app"]
    assert app["build"] == "."
    assert app["ports"] == ["127.0.0.1:8000:8000"]
    assert app["command"] == [
        "sh",
        "-c",
        f"flask --app {package} init-db && exec gunicorn -c gunicorn.conf.py",
    ]
    assert app["environment"]["SECRET_KEY"].startswith("${SECRET_KEY:?")
    assert set(compose["volumes"]) == {"data"}


def test_docker_compose_refuses_to_start_without_a_secret_key(baked, tmp_path):
    project = next(iter(baked.values()))
    result = run(
        [tool("docker-compose"), "-f", str(project / COMPOSE), "config", "--quiet"],
        cwd=project,
        env=_isolated_env(tmp_path),
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


# --- CI workflow --------------------------------------------------------------------------------


def jobs(project: Path) -> dict:
    return read_yaml(project / WORKFLOW)["jobs"]


@pytest.mark.parametrize("key", IDS, ids=IDS)
def test_ci_workflow_passes_actionlint_and_shellcheck(actionlint_findings, key):
    """actionlint, with shellcheck on every `run:` script."""
    assert actionlint_findings[key] == []


@pytest.mark.parametrize("key", IDS, ids=IDS)
def test_ci_workflow_follows_the_github_workflow_schema(workflow_schema_findings, key):
    """check-jsonschema, with the GitHub workflow schema that SchemaStore publishes."""
    assert workflow_schema_findings[key] == []


@pytest.mark.parametrize("key", IDS, ids=IDS)
def test_ci_starts_service_containers_exactly_when_the_answers_use_them(baked, manifest, key):
    answers = answers_of(baked, manifest, key)
    test = jobs(baked[key])["test"]
    services = test.get("services", {})
    assert set(services) == backing_services(answers, manifest)
    for service in services.values():
        assert "--health-cmd" in service["options"]
    env = dict(test.get("env", {}))  # a copy: the parsed file is shared between tests
    if uses_postgres(answers):
        database = services["postgres"]["env"]["POSTGRES_DB"]
        assert database == f"{baked[key].name}_test"
        assert services["postgres"]["ports"] == ["5432:5432"]
        url = f"postgresql+psycopg://postgres:postgres@localhost:5432/{database}"
        assert env.pop("TEST_DATABASE_URL") == url
    if uses_redis(answers, manifest):
        assert services["redis"]["ports"] == ["6379:6379"]
        assert env.pop("TEST_REDIS_URL") == "redis://localhost:6379/0"
    assert env == {}


@pytest.mark.parametrize("key", IDS, ids=IDS)
def test_ci_lints_and_tests_every_python_of_the_matrix_with_its_own_interpreter(baked, key):
    test = jobs(baked[key])["test"]
    assert test["strategy"]["matrix"]["python"] == PYTHONS
    steps = test["steps"]
    (setup,) = [step for step in steps if step.get("uses", "").startswith("astral-sh/setup-uv@")]
    assert setup["with"]["python-version"] == "${{ matrix.python }}"
    assert "if" not in setup
    commands = [step["run"] for step in steps if "run" in step]
    assert commands == [
        "uv sync --locked",
        'echo "CHROMIUM=$(command -v google-chrome)" >> "$GITHUB_ENV"',  # tests/test_docs.py
        "uv run --locked ruff check .",
        "uv run --locked ruff format --check .",
        "uv run --locked mypy",
        "uv run --locked pytest",
    ]


@pytest.mark.parametrize("key", IDS, ids=IDS)
def test_ci_installs_and_runs_only_what_uv_lock_pins(baked, key):
    """Every uv command of the workflow refuses a lock that disagrees with pyproject.toml, and
    setup-uv is pinned to a full release (it publishes no major-version tags since v8)."""
    for job in jobs(baked[key]).values():
        for step in job["steps"]:
            if step.get("uses", "").startswith("astral-sh/setup-uv@"):
                assert re.fullmatch(r"astral-sh/setup-uv@v\d+\.\d+\.\d+", step["uses"])
            command = step.get("run", "")
            if command.startswith(("uv sync", "uv run", "uv export")):
                assert "--locked" in command.split(), command
            assert "pip install" not in command


@pytest.mark.parametrize("key", IDS, ids=IDS)
def test_pyproject_classifiers_name_flask_and_exactly_the_pythons_ci_tests(baked, key):
    """No `License ::` classifier: PEP 639 forbids one beside a `license` expression."""
    metadata = _toml(_read(baked[key] / "pyproject.toml"))["project"]
    classifiers = metadata["classifiers"]
    prefix = "Programming Language :: Python :: 3."
    pythons = [c.removeprefix("Programming Language :: Python :: ") for c in classifiers]
    assert [p for c, p in zip(classifiers, pythons, strict=True) if c.startswith(prefix)] == PYTHONS
    assert metadata["requires-python"] == f">={PYTHONS[0]}"
    assert "Framework :: Flask" in classifiers
    assert not [c for c in classifiers if c.startswith("License ::")]


@pytest.mark.parametrize("key", IDS, ids=IDS)
def test_ci_audits_the_dependencies_and_builds_the_image(baked, key):
    workflow = jobs(baked[key])
    audit = [step.get("run", "") for step in workflow["audit"]["steps"]]
    assert audit[-1] == "uvx pip-audit --disable-pip --requirement requirements.txt"
    export = "uv export --locked --no-dev --no-emit-project --format requirements.txt"
    assert f"{export} --output-file requirements.txt" in audit
    assert any("docker build" in step.get("run", "") for step in workflow["image"]["steps"])


# --- Dependabot ---------------------------------------------------------------------------------


@pytest.mark.parametrize("key", IDS, ids=IDS)
def test_dependabot_config_follows_the_dependabot_schema(dependabot_schema_findings, key):
    """check-jsonschema, with the Dependabot schema that SchemaStore publishes."""
    assert dependabot_schema_findings[key] == []


@pytest.mark.parametrize("key", IDS, ids=IDS)
def test_dependabot_updates_python_packages_actions_and_the_image_weekly_grouped_after_a_week(
    baked, key
):
    updates = read_yaml(baked[key] / DEPENDABOT)["updates"]
    assert [update["package-ecosystem"] for update in updates] == [
        "uv",
        "github-actions",
        "docker",
    ]
    for update in updates:
        assert update["directory"] == "/"
        assert update["schedule"]["interval"] == "weekly"
        assert update["cooldown"] == {"default-days": 7}
        (group,) = update["groups"].values()
        assert group["patterns"] == ["*"]


# --- pre-commit, .editorconfig, whitespace ------------------------------------------------------


@pytest.fixture(scope="session")
def pre_commit_findings(baked, tmp_path_factory):
    home = tmp_path_factory.mktemp("pre-commit-home")

    def validate(paths: list[Path]) -> dict[Path, list[str]]:
        findings = {}
        for path in paths:
            env = _isolated_env(home, PRE_COMMIT_HOME=str(home))
            result = run([tool("pre-commit"), "validate-config", str(path)], env=env)
            if result.returncode != 0:
                findings[path] = [result.stdout + result.stderr]
        return findings

    return lint_each_distinct(baked, PRE_COMMIT, validate)


@pytest.mark.parametrize("key", IDS, ids=IDS)
def test_pre_commit_config_is_valid_and_runs_ruff_with_fixes_the_formatter_and_mypy(
    baked, pre_commit_findings, key
):
    assert pre_commit_findings[key] == []
    hooks = {
        hook["id"]: hook
        for repo in read_yaml(baked[key] / PRE_COMMIT)["repos"]
        for hook in repo["hooks"]
    }
    assert hooks["ruff-check"]["args"] == ["--fix"]
    assert {"ruff-format", "end-of-file-fixer", "trailing-whitespace", "check-yaml"} <= set(hooks)
    # mypy of the project's own environment, on what pyproject.toml lists, not on each file
    assert hooks["mypy"]["entry"] == ".venv/bin/mypy"
    assert hooks["mypy"]["language"] == "system"
    assert hooks["mypy"]["pass_filenames"] is False


def generated_text_files(project: Path) -> list[Path]:
    """The project's files that come from the template (not what its own test runs leave)."""
    root = TEMPLATE / "{{cookiecutter.project_slug}}"
    relatives = {
        str(path.relative_to(root)).replace("{{cookiecutter.project_slug}}", project.name)
        for path in root.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    return [project / relative for relative in sorted(relatives) if (project / relative).exists()]


@pytest.mark.parametrize("key", IDS, ids=IDS)
def test_every_generated_file_already_satisfies_the_whitespace_and_syntax_hooks(baked, key):
    """A fresh project passes end-of-file-fixer, trailing-whitespace, check-yaml and check-toml:
    the first `pre-commit run --all-files` changes nothing."""
    problems = []
    for path in generated_text_files(baked[key]):
        text = path.read_text(encoding="utf-8")
        problems += [f"{path.relative_to(baked[key])}{problem}" for problem in _whitespace(text)]
        if path.suffix in (".yaml", ".yml"):
            _yaml(text)
        elif path.suffix == ".toml":
            _toml(text)
    assert problems == []


@functools.cache
def _whitespace(text: str) -> tuple[str, ...]:
    """What end-of-file-fixer and trailing-whitespace would change (each distinct text once)."""
    problems = []
    if text and (not text.endswith("\n") or text.endswith("\n\n")):  # the hook skips empty files
        problems.append(": does not end with exactly one newline")
    for number, line in enumerate(text.splitlines(), 1):
        if line != line.rstrip():
            problems.append(f":{number}: trailing whitespace")
    return tuple(problems)


@functools.cache
def _toml(text: str) -> dict:
    return tomllib.loads(text)


@pytest.mark.parametrize("key", IDS, ids=IDS)
def test_editorconfig_is_the_root_config_and_indents_the_makefile_with_tabs(baked, key):
    parser = configparser.ConfigParser()
    parser.read_string("[preamble]\n" + _read(baked[key] / ".editorconfig"))
    assert parser["preamble"]["root"] == "true"
    assert parser["*"]["end_of_line"] == "lf" and parser["*"]["indent_size"] == "4"
    assert parser["Makefile"]["indent_style"] == "tab"


# --- Makefile -----------------------------------------------------------------------------------


def phony_targets(makefile: Path) -> list[str]:
    (line,) = [line for line in _read(makefile).splitlines() if line.startswith(".PHONY:")]
    return line.removeprefix(".PHONY:").split()


@pytest.fixture(scope="session")
def make_findings(baked, tmp_path_factory):
    """`make -n` (parse, resolve, print every recipe, run nothing) on every target, and `make
    help`, once per distinct Makefile."""
    home = tmp_path_factory.mktemp("make-home")

    def dry_run(paths: list[Path]) -> dict[Path, list[str]]:
        findings = {}
        for path in paths:
            env = _isolated_env(home)
            targets = phony_targets(path)
            result = run([tool("make"), "-n", *targets], cwd=path.parent, env=env)
            helped = run([tool("make"), "--no-print-directory"], cwd=path.parent, env=env)
            listed = [line.split()[0] for line in helped.stdout.splitlines() if line.strip()]
            problems = [result.stderr] if result.returncode != 0 else []
            if listed != targets:
                problems.append(f"`make` lists {listed}, .PHONY has {targets}")
            if problems:
                findings[path] = problems
        return findings

    return lint_each_distinct(baked, MAKEFILE, dry_run)


@pytest.mark.parametrize("key", IDS, ids=IDS)
def test_makefile_runs_and_documents_every_target(baked, make_findings, key):
    expected = ["help", "install", "upgrade", "migrate", "seed", "run", "serve", "test", "lint"]
    expected += ["typecheck", "format"]
    expected += ["bench", "docker-build", "docker-up", "docker-down"]
    assert phony_targets(baked[key] / MAKEFILE) == expected
    assert make_findings[key] == []


@pytest.mark.parametrize("key", IDS, ids=IDS)
def test_make_bench_runs_exactly_the_bench_scripts_the_project_has(baked, key):
    project = baked[key]
    named = set(re.findall(r"bench/\w+\.py", _read(project / MAKEFILE)))
    present = {str(path.relative_to(project)) for path in (project / "bench").glob("*.py")}
    assert named == present
    assert "bench/locustfile.py" in named


@pytest.mark.parametrize("key", IDS, ids=IDS)
def test_makefile_runs_the_same_commands_as_ci_and_the_readme(baked, key):
    package = baked[key].name
    makefile = _read(baked[key] / MAKEFILE)
    for command in ("ruff check .", "ruff format --check .", "gunicorn -c gunicorn.conf.py"):
        assert f"$(RUN) {command}" in makefile
    assert "\n\t$(RUN) mypy\n" in makefile  # `make typecheck`: mypy as CI runs it
    assert "RUN := uv run\n" in makefile
    assert "\tuv sync\n" in makefile and "\tuv lock --upgrade\n" in makefile
    assert "pip " not in makefile
    assert f"PACKAGE := {package}" in makefile
    assert "$(FLASK) init-db" in makefile
