"""The generated service judged by tools nobody here wrote, from the /openapi.json it serves:

- openapi-spec-validator finds the document valid OpenAPI 3.1;
- Redocly CLI's `recommended` ruleset reports no error and no warning;
- a client that openapi-python-client generates from the document drives a whole scenario
  against the app (in-process, through httpx's WSGI transport): every answer parses into the
  client's models, and `to_dict()` gives back the very JSON the server sent;
- schemathesis' command line, every check, against a live gunicorn of the all-on and the
  all-off projects, on a SQLite database that `init-db` created.

The first three run for each combination of the covering subset. The document depends on a few
options only (pagination), so each distinct document is validated, linted and turned into a
client once; combinations that serve the same document share those results, while the scenario
runs against each combination's own app (its database, cache, compression).

Redocly CLI is an npm package: the tests install the version they pin into .ci/node with npm
(`.ci/run` installs Node.js from Debian when it is missing); without npm these tests fail,
saying what to install."""

import contextlib
import functools
import hashlib
import importlib
import json
import os
import pkgutil
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator

from tests.harness import (
    ALL_OFF,
    ALL_ON,
    PACKAGE,
    bake,
    create_database,
    gunicorn,
    init_db_and_seed,
    project_env,
)
from tests.options import TEMPLATE, combo_id, covering_subset

COVERING = {combo_id(answers): answers for answers in covering_subset()}
# The license is the only other answer that changes the document: "Not open source" has none.
DOCUMENTS = {**COVERING, "open_source_license:Not open source": {"database": "sqlite"}}
DOCUMENTS["open_source_license:Not open source"]["open_source_license"] = "Not open source"
CLIENT = "generated_client"  # the package openapi-python-client writes
# Redocly CLI, pinned: it runs on Node.js 20.19+ (warning that Node 20 is end-of-life); its later
# releases will need Node.js 22. The tests install it into .ci/node (npm --prefix, ignored by
# git) when it is not there.
REDOCLY_CLI_VERSION = "2.77.0"
NODE_PREFIX = TEMPLATE / ".ci" / "node"
# Rules of Redocly's `recommended` set switched off for this API, each with the reason why.
REDOCLY_RULES_OFF: dict[str, str] = {
    # Probes, this document and an unpaginated list take no input: without compression (whose
    # 406 every operation declares) they have no 4xx to declare. A method a path does not list
    # is a 405, which OpenAPI cannot attach to an operation that does not exist; the document's
    # description says so.
    "operation-4xx-response": "operations that take no input have no 4xx answer",
}


# ---------------------------------------------------------------------------------------------
# The projects of the covering subset, each with its database and the document it serves


@dataclass
class Project:
    answers: dict[str, object]
    path: Path
    env: dict[str, str]  # its settings: DATABASE_URL (initialised), REDIS_URL when it uses Redis
    document: dict[str, Any]  # what GET /openapi.json answers

    @property
    def text(self) -> str:
        """The document as JSON text, in the order served: each distinct one is checked once."""
        return json.dumps(self.document)


FETCH_DOCUMENT = """
import json, sys
from {package} import create_app

response = create_app().test_client().get("/openapi.json")
assert response.status_code == 200, response.status_code
with open(sys.argv[1], "w") as out:
    json.dump(response.get_json(), out)
"""


@pytest.fixture(scope="module")
def prepared() -> dict[str, Project]:
    return {}


@pytest.fixture
def project(request, prepared, tmp_path_factory) -> Project:
    """The combination `request.param`, baked, its database initialised (init-db and seed), and
    its /openapi.json; once per module."""
    key = request.param
    if key not in prepared:
        answers = DOCUMENTS[key]
        root = tmp_path_factory.mktemp("outside")
        name = "outside_" + hashlib.sha1(key.encode()).hexdigest()[:12]
        settings = {}
        if answers["database"] == "postgresql":
            settings["DATABASE_URL"] = create_database(
                request.getfixturevalue("postgres_url"), name
            )
        else:
            settings["DATABASE_URL"] = f"sqlite:///{root / 'users.sqlite3'}"
        if answers.get("cache_backend") == "redis":
            settings["REDIS_URL"] = request.getfixturevalue("redis_url")
            settings["CACHE_KEY_PREFIX"] = f"{name}-{uuid.uuid4().hex}:"
        path = bake(answers, root)
        env = project_env(path, **settings, LOG_LEVEL="WARNING")
        init_db_and_seed(path, env)
        out = root / "openapi.json"
        command = [sys.executable, "-c", FETCH_DOCUMENT.format(package=PACKAGE), str(out)]
        done = subprocess.run(command, cwd=path, env=env, capture_output=True, text=True)
        assert done.returncode == 0, f"GET /openapi.json failed:\n{done.stderr}"
        prepared[key] = Project(answers, path, env, json.loads(out.read_text()))
    return prepared[key]


covering = pytest.mark.parametrize("project", list(COVERING), ids=list(COVERING), indirect=True)
documents = pytest.mark.parametrize("project", list(DOCUMENTS), ids=list(DOCUMENTS), indirect=True)


# ---------------------------------------------------------------------------------------------
# openapi-spec-validator


@functools.cache
def spec_errors(text: str) -> tuple[str, ...]:
    document = json.loads(text)
    if not str(document.get("openapi")).startswith("3.1."):
        return (f"openapi is {document.get('openapi')!r}, not 3.1.x",)
    errors = []
    try:
        for error in OpenAPIV31SpecValidator(document).iter_errors():
            pointer = "/".join(str(key).replace("~", "~0").replace("/", "~1") for key in error.path)
            errors.append(f"at #/{pointer}: {error.message.splitlines()[0]}")
    except Exception as error:  # e.g. a $ref to nothing stops its walk
        errors.append(f"{type(error).__name__}: {str(error)[:300]}")
    return tuple(errors)


@documents
def test_openapi_spec_validator_finds_the_document_valid_openapi_3_1(project):
    assert not spec_errors(project.text), "\n".join(spec_errors(project.text))


# ---------------------------------------------------------------------------------------------
# Redocly CLI


def redocly_command() -> tuple[list[str], dict[str, str]]:
    """Redocly CLI of the pinned version, installed into .ci/node with npm when it is missing;
    fails (never skips) when it cannot be had. Returns the command and its environment."""
    bin_dir = NODE_PREFIX / "node_modules" / ".bin"
    env = os.environ | {
        # A Node.js that .ci/run had to install from the npm registry lives there too.
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "REDOCLY_TELEMETRY": "off",
        "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true",
        "NO_COLOR": "1",
    }
    redocly = bin_dir / "redocly"
    if _version(redocly, env) != REDOCLY_CLI_VERSION:
        _npm_install(f"@redocly/cli@{REDOCLY_CLI_VERSION}", env)
    if (found := _version(redocly, env)) != REDOCLY_CLI_VERSION:
        pytest.fail(f"{redocly} is Redocly CLI {found!r}, not {REDOCLY_CLI_VERSION}", pytrace=False)
    return [str(redocly)], env


def _version(command: Path, env: dict[str, str]) -> str | None:
    if not command.exists():
        return None
    done = subprocess.run([command, "--version"], capture_output=True, text=True, env=env)
    return done.stdout.strip() or done.stderr.strip()


def _npm_install(package: str, env: dict[str, str]) -> None:
    install = ["npm", "install", "--prefix", str(NODE_PREFIX), "--save-exact", package]
    needs = f"Redocly CLI is needed (Node.js 20.19+ and npm): {' '.join(install)}"
    if not shutil.which("npm", path=env["PATH"]):
        pytest.fail(f"{needs} (bash .ci/run installs Node.js)", pytrace=False)
    quiet = ["--no-audit", "--no-fund", "--loglevel=error"]
    done = subprocess.run([*install, *quiet], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        pytest.fail(f"{needs}; it failed:\n{done.stdout}{done.stderr}", pytrace=False)


@functools.cache
def redocly_problems(text: str) -> tuple[str, ...]:
    """`redocly lint` with the recommended ruleset: one line per error or warning, naming its
    rule and the JSON pointer of the place."""
    command, env = redocly_command()
    folder = Path(tempfile.mkdtemp(prefix="redocly-"))
    (folder / "openapi.json").write_text(text)
    rules_off = dict(REDOCLY_RULES_OFF)
    if "license" not in json.loads(text)["info"]:
        rules_off["info-license"] = "a project that is not open source declares no license"
    config = {"extends": ["recommended"], "rules": dict.fromkeys(rules_off, "off")}
    (folder / "redocly.yaml").write_text(json.dumps(config))  # JSON is YAML
    done = subprocess.run(
        [*command, "lint", "--config", "redocly.yaml", "--format", "json", "openapi.json"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    try:
        report = json.loads(done.stdout)
    except ValueError:
        pytest.fail(f"redocly lint gave no report:\n{done.stdout}\n{done.stderr}", pytrace=False)
    problems = []
    for problem in report["problems"]:
        pointer = problem["location"][0]["pointer"] if problem["location"] else "(document)"
        problems.append(
            f"{problem['severity']} {problem['ruleId']} at {pointer}: {problem['message']}"
        )
    if done.returncode and not problems:
        problems.append(f"redocly lint exited with {done.returncode}:\n{done.stderr}")
    return tuple(problems)


@documents
def test_redocly_recommended_ruleset_reports_no_error_and_no_warning(project):
    problems = redocly_problems(project.text)
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)


# ---------------------------------------------------------------------------------------------
# A client generated by openapi-python-client


@functools.cache
def generated_client(text: str) -> Path:
    """The folder holding the client package CLIENT that openapi-python-client generates from
    the document (without a project around it, and without its ruff post-hooks)."""
    folder = Path(tempfile.mkdtemp(prefix="generated-client-"))
    (folder / "openapi.json").write_text(text)
    (folder / "config.json").write_text(json.dumps({"post_hooks": []}))
    command = [sys.executable, "-m", "openapi_python_client", "generate", "--meta", "none"]
    command += ["--path", "openapi.json", "--config", "config.json"]
    command += ["--output-path", str(folder / "client" / CLIENT)]
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=120)
    output = done.stdout + done.stderr
    # A warning means parts of the API were left out of the client.
    assert done.returncode == 0 and "Warning" not in output, output
    return folder / "client"


@covering
def test_a_client_generated_from_the_document_drives_the_whole_api(project):
    client = generated_client(project.text)
    paginated = project.answers["use_pagination"]
    style = project.answers.get("pagination_style", "cursor") if paginated else "none"
    env = project.env | {"PYTHONPATH": os.pathsep.join([str(TEMPLATE), str(project.path / "src")])}
    script = "import sys; from tests import test_outside_tools as t; t.drive_the_api(*sys.argv[1:])"
    command = [sys.executable, "-c", script, str(client), style]
    done = subprocess.run(
        command, cwd=project.path, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr


# The scenario, run in a process of its own (each project's package has the same name).


def drive_the_api(client_folder: str, style: str) -> None:
    """Every operation of the API through the generated client, against the app in-process:
    users created, listed page by page, changed, given addresses up to the cap and past it,
    deleted; 404, 409 and 422 answers on the way. `style`: cursor, offset or none."""
    api = GeneratedClient(client_folder, style)
    try:
        api.probes_and_description()
        before = [user.id for user in api.everyone()]
        created = api.create_users(7)
        listed = api.everyone()
        assert [user.id for user in listed] == before + [user.id for user in created]
        assert [user.to_dict() for user in listed[-7:]] == [user.to_dict() for user in created]
        first, second = created[0], created[1]
        fetched = api.expect(200, "User", "getUser", first.id)
        assert fetched.to_dict() == first.to_dict()
        api.change(first, second)
        api.add_addresses(first)
        api.delete(first)
    finally:
        api.http.close()


def operation(operation_id: str, tag: str | None = None):
    """The generated client's module of an operation: api/<tag>/<snake_case operationId>.py."""
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", operation_id)
    name = name.lower()
    if tag is not None:
        return importlib.import_module(f"{CLIENT}.api.{tag}.{name}")
    api = importlib.import_module(f"{CLIENT}.api")
    for tag_module in pkgutil.iter_modules(api.__path__):
        with contextlib.suppress(ModuleNotFoundError):
            return importlib.import_module(f"{CLIENT}.api.{tag_module.name}.{name}")
    raise AssertionError(f"the client has no operation {operation_id} (module {name})")


class GeneratedClient:
    """The client package CLIENT in `client_folder`, calling the app of PACKAGE in-process
    (through httpx's WSGI transport); every answer is checked against its model."""

    def __init__(self, client_folder: str, style: str) -> None:
        import httpx

        sys.path.insert(0, client_folder)
        self.style = style
        self.models = importlib.import_module(f"{CLIENT}.models")
        self.addresses_max = importlib.import_module(f"{PACKAGE}.models").ADDRESSES_MAX
        app = importlib.import_module(PACKAGE).create_app()
        transport = httpx.WSGITransport(app=app)
        self.http = httpx.Client(transport=transport, base_url="http://testserver")
        client_module = importlib.import_module(f"{CLIENT}.client")
        self.client = client_module.Client(
            base_url="http://testserver", raise_on_unexpected_status=True
        )
        self.client.set_httpx_client(self.http)

    def send(self, operation_id: str, *args, tag: str | None = "users", **kwargs):
        """The response of an operation (of the users tag, unless `tag` says otherwise)."""
        return operation(operation_id, tag).sync_detailed(*args, client=self.client, **kwargs)

    def answer(self, response, status: int, model: str | None):
        """The parsed answer, after checking its status, its model and its round trip."""
        sent = response.content
        assert response.status_code == status, f"expected {status}: {response.status_code} {sent!r}"
        if model is None:
            assert sent == b"", sent
            return None
        assert isinstance(response.parsed, getattr(self.models, model)), (
            type(response.parsed),
            sent,
        )
        assert_same_json(response.parsed.to_dict(), json.loads(sent))
        return response.parsed

    def expect(self, status: int, model: str | None, operation_id: str, *args, **kwargs):
        return self.answer(self.send(operation_id, *args, **kwargs), status, model)

    def probes_and_description(self) -> None:
        self.expect(200, "Health", "getHealth", tag=None)
        self.expect(200, "Readiness", "getReadiness", tag=None)
        description = self.send("getOpenAPI", tag=None)
        assert description.status_code == 200
        assert_same_json(description.parsed.to_dict(), json.loads(description.content))

    def everyone(self, per_page: int = 3) -> list:
        """Every user, page by page as the pagination style goes (more than one page once the
        scenario has created its users)."""
        if self.style == "none":
            return self.expect(200, "UserList", "listUsers").items
        users, pages = [], 0
        first = importlib.import_module(f"{CLIENT}.types").UNSET  # the first page's cursor
        parameter, position = ("cursor", first) if self.style == "cursor" else ("page", 1)
        while position is not None:
            page = self.expect(
                200, "UserPage", "listUsers", per_page=per_page, **{parameter: position}
            )
            users += page.items
            pages += 1
            assert len(page.items) <= per_page
            position = self.next_page(page, position, len(users))
        assert pages >= min(2, len(users)), f"{len(users)} users in {pages} pages"
        return users

    def next_page(self, page, position, users_so_far: int):
        """Where the page after `page` starts, or None after the last one."""
        if self.style == "cursor":
            return page.next_cursor
        if position >= page.pages:
            assert page.total == users_so_far
            return None
        return position + 1

    def create_users(self, count: int) -> list:
        run = uuid.uuid4().hex[:8]
        created = []
        for number in range(count):
            body = self.models.UserCreate(
                name=f"Client {number}", email=f"client-{number}-{run}@example.com"
            )
            response = self.send("createUser", body=body)
            user = self.answer(response, 201, "User")
            assert response.headers["Location"].endswith(f"/api/users/{user.id}")
            assert (user.name, user.email, user.addresses) == (body.name, body.email, [])
            created.append(user)
        return created

    def change(self, first, second) -> None:
        """A name, then an email taken by another user (409), both fields invalid (422)."""
        models = self.models
        renamed = self.expect(
            200, "User", "updateUser", first.id, body=models.UserUpdate(name="Renamed")
        )
        assert (renamed.name, renamed.email) == ("Renamed", first.email)
        assert {user.id: user.name for user in self.everyone()}[first.id] == "Renamed"
        taken = models.UserUpdate(email=second.email)
        conflict = self.expect(409, "Error", "updateUser", first.id, body=taken)
        assert conflict.error and conflict.message
        duplicate = models.UserCreate(name="Twin", email=second.email)
        self.expect(409, "Error", "createUser", body=duplicate)
        invalid = models.UserCreate(name="   ", email="not-an-email")
        rejected = self.expect(422, "Error", "createUser", body=invalid)
        assert set(rejected.details.to_dict()) == {"name", "email"}, rejected.to_dict()
        bad_update = models.UserUpdate(name="x" * 101)
        self.expect(422, "Error", "updateUser", first.id, body=bad_update)

    def add_addresses(self, user) -> None:
        """Addresses, up to the cap and one past it."""
        models = self.models
        for number in range(self.addresses_max):
            body = models.AddressCreate(street=f"{number} Client Street", city="Springfield")
            address = self.expect(201, "Address", "createAddress", user.id, body=body)
            assert (address.street, address.city) == (body.street, body.city)
        one_more = models.AddressCreate(street="One more", city="Springfield")
        self.expect(409, "Error", "createAddress", user.id, body=one_more)
        blank = models.AddressCreate(street="", city="Springfield")
        self.expect(422, "Error", "createAddress", user.id, body=blank)
        addresses = self.expect(200, "AddressList", "listAddresses", user.id)
        assert len(addresses.items) == self.addresses_max
        with_addresses = self.expect(200, "User", "getUser", user.id)
        assert [a.to_dict() for a in with_addresses.addresses] == [
            a.to_dict() for a in addresses.items
        ]

    def delete(self, user) -> None:
        """Deleted: gone from every operation."""
        self.expect(204, None, "deleteUser", user.id)
        self.expect(404, "Error", "getUser", user.id)
        self.expect(404, "Error", "listAddresses", user.id)
        one_more = self.models.AddressCreate(street="One more", city="Springfield")
        self.expect(404, "Error", "createAddress", user.id, body=one_more)
        self.expect(404, "Error", "updateUser", user.id, body=self.models.UserUpdate(name="Ghost"))
        self.expect(404, "Error", "deleteUser", user.id)
        assert user.id not in [other.id for other in self.everyone()]


def assert_same_json(round_trip: Any, sent: Any, where: str = "") -> None:
    """`round_trip` is `sent`, value for value. One leeway: a date-time may be spelled another
    way for the same instant (the client writes `isoformat()`, which drops a fraction of zero
    microseconds that the server writes out)."""
    if isinstance(sent, dict) and isinstance(round_trip, dict):
        assert set(round_trip) == set(sent), (
            f"{where or '/'}: {sorted(round_trip)} != {sorted(sent)}"
        )
        for key in sent:
            assert_same_json(round_trip[key], sent[key], f"{where}/{key}")
    elif isinstance(sent, list) and isinstance(round_trip, list):
        assert len(round_trip) == len(sent), f"{where}: {len(round_trip)} items, {len(sent)} sent"
        for index, (left, right) in enumerate(zip(round_trip, sent, strict=True)):
            assert_same_json(left, right, f"{where}/{index}")
    elif round_trip != sent or type(round_trip) is not type(sent):
        same_instant = False
        if isinstance(sent, str) and isinstance(round_trip, str):
            with contextlib.suppress(ValueError):
                same_instant = datetime.fromisoformat(round_trip) == datetime.fromisoformat(sent)
        assert same_instant, f"{where}: {round_trip!r} goes back as sent {sent!r}"


# ---------------------------------------------------------------------------------------------
# schemathesis against a live gunicorn

MAX_EXAMPLES = 100  # per operation and phase: about 10 s per project on 2 cores
SCHEMATHESIS_TIMEOUT = 90  # seconds: the run is killed, and the test fails, past this
# A cursor is an opaque string to the schema, but only cursors this API signed are accepted: a
# schema-valid, forged one is a 400 by design, which positive_data_acceptance would count as a
# valid request rejected. For that operation (cursor projects only), 400 joins its defaults.
CURSOR_CONFIG = """
[[operations]]
include-name = "GET /api/users"
checks.positive_data_acceptance.expected-statuses = [
    "2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx",
]
"""
# An email is `format: idn-email`, but addresses at special-use domains (.test, .local, .onion,
# ...), which cannot receive mail, are refused with a 422 (email-validator's rule; the field's
# description says so): for the writes that take an email, 422 joins the defaults.
EMAIL_CONFIG = """
[[operations]]
include-name = ["POST /api/users", "PATCH /api/users/{user_id}"]
checks.positive_data_acceptance.expected-statuses = [
    "2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx",
]
"""


@pytest.mark.parametrize(
    "answers", [pytest.param(ALL_ON, id="all-on"), pytest.param(ALL_OFF, id="all-off")]
)
def test_schemathesis_every_check_passes_against_a_live_gunicorn(tmp_path, answers):
    answers = {**answers, "database": "sqlite"}
    project = bake(answers, tmp_path)
    env = project_env(project, DATABASE_URL=f"sqlite:///{tmp_path / 'users.sqlite3'}")
    init_db_and_seed(project, env)
    config = tmp_path / "schemathesis.toml"
    cursor = answers["use_pagination"] and answers.get("pagination_style", "cursor") == "cursor"
    config.write_text(EMAIL_CONFIG + (CURSOR_CONFIG if cursor else ""))
    report = tmp_path / "schemathesis.json"
    with gunicorn(project, env, tmp_path / "gunicorn.log") as service:
        service.wait_ready()
        command = [str(Path(sys.executable).parent / "schemathesis"), "--config-file", str(config)]
        command += ["run", f"http://127.0.0.1:{service.port}/openapi.json", "--checks", "all"]
        command += ["--max-examples", str(MAX_EXAMPLES), "--seed", "1", "--no-color"]
        command += ["--generation-database", "none", "--request-timeout", "10"]
        command += ["--report", "json", "--report-json-path", str(report)]
        started = time.monotonic()
        try:
            done = subprocess.run(
                command, cwd=tmp_path, capture_output=True, text=True, timeout=SCHEMATHESIS_TIMEOUT
            )
        except subprocess.TimeoutExpired as expired:
            output = expired.stdout or ""  # bytes, whatever `text` says, on some Pythons
            if isinstance(output, bytes):
                output = output.decode(errors="replace")
            pytest.fail(f"schemathesis ran past {SCHEMATHESIS_TIMEOUT} s:\n{output}")
        seconds = time.monotonic() - started
        # Its errors and tracebacks, without the access lines of thousands of requests.
        log = "\n".join(
            line for line in service.log(tail=10**6).splitlines() if " INFO " not in line
        )
    summary = json.loads(report.read_text()) if report.exists() else {}
    failures = [
        f"{failure['code']} {failure['title']}: {', '.join(failure['operations'])}"
        for failure in summary.get("failures", [])
    ]
    failures += [f"error: {error}" for error in summary.get("errors", [])]
    # From the heading of schemathesis' FAILURES section on, when it has one.
    heading = done.stdout.find(" FAILURES ")
    output = done.stdout[done.stdout.rfind("\n", 0, heading) + 1 :] if heading >= 0 else done.stdout
    assert done.returncode == 0 and not failures, (
        "\n".join(failures) + f"\n{output}\n{done.stderr}\n--- gunicorn log ---\n{log[-4000:]}"
    )
    print(f"\n[schemathesis {combo_id(answers)}] {seconds:.1f} s")
