"""/docs: Swagger UI for this service's /openapi.json, served by the app itself under a content
security policy of its own, on in development and off in production unless API_DOCS says so.
The browser test opens it in a headless Chromium (Playwright with the system's browser), sends
real requests with "Try it out" and keeps a screenshot: DOCS_SCREENSHOT names the file, else it
is docs.png in the test's temporary directory."""

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

import pytest
from conftest import MakeApp
from conftest import MakeUser
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from {{ cookiecutter.project_slug }} import create_app
from {{ cookiecutter.project_slug }}.docs import CONTENT_SECURITY_POLICY
from {{ cookiecutter.project_slug }}.security import HEADERS

if TYPE_CHECKING:  # imported where used: only the browser tests need Playwright
    from playwright.sync_api import ConsoleMessage
    from playwright.sync_api import Locator
    from playwright.sync_api import Page
    from playwright.sync_api import Playwright

BrowserPage = tuple["Page", list[str]]  # the page, and the problems it recorded

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Chromium runs as root in CI containers (no sandbox there), and on machines without network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BROWSER_TIMEOUT = 30_000  # ms for each step: Chromium shares the machine with other tests
ASSETS = {
    "docs.js": "text/javascript",
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
}
# Records what the page's content security policy blocks, whether or not a console shows it.
RECORD_CSP_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
    window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


def test_docs_is_a_page_with_a_policy_of_its_own_and_swagger_ui_files(client: FlaskClient) -> None:
    with client.get("/docs") as page:  # a file: closed after the test reads it
        assert page.status_code == 200
        assert page.mimetype == "text/html"
        assert page.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert "<script>" not in page.get_data(as_text=True)  # no inline script to allow
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert "'unsafe-eval'" not in CONTENT_SECURITY_POLICY
    for name, mimetype in ASSETS.items():
        with client.get(f"/docs/{name}") as asset:
            assert (asset.status_code, asset.mimetype) == (200, mimetype), name
            assert asset.headers["Content-Security-Policy"] == HEADERS["Content-Security-Policy"]


def test_only_the_pages_files_are_served_under_docs(client: FlaskClient) -> None:
    for path in ("/docs/oauth2-redirect.html", "/docs/../docs.py", "/docs/", "/docs/docs.html"):
        with client.get(path) as response:
            assert response.status_code == 404, path
            assert response.get_json()["error"] == "not-found"


def test_api_docs_false_makes_docs_a_json_404(make_app: MakeApp) -> None:
    response = make_app(API_DOCS=False).test_client().get("/docs")
    assert response.status_code == 404
    assert response.get_json()["error"] == "not-found"


@pytest.mark.parametrize(
    ("environ", "served"),
    [
        pytest.param({}, False, id="gunicorn-off"),
        pytest.param({"API_DOCS": "true"}, True, id="gunicorn-with-api-docs-on"),
        pytest.param({"FLASK_RUN_FROM_CLI": "true"}, True, id="flask-run-on"),
        pytest.param({"FLASK_DEBUG": "1"}, True, id="debug-on"),
        pytest.param({"FLASK_RUN_FROM_CLI": "true", "API_DOCS": "false"}, False, id="flask-off"),
    ],
)
def test_docs_are_on_in_development_and_off_in_production_unless_api_docs_says(
    monkeypatch: pytest.MonkeyPatch,
    test_settings: dict[str, Any],
    environ: dict[str, str],
    served: bool,
) -> None:
    for name in ("API_DOCS", "FLASK_RUN_FROM_CLI", "FLASK_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    app = create_app(test_settings)  # not TESTING: as gunicorn or `flask run` builds it
    with app.test_client().get("/docs") as response:
        assert (response.status_code == 200) is served


def find_chromium(playwright: "Playwright") -> str:
    """The browser in CHROMIUM, else the first of BROWSERS on PATH, else the one `playwright
    install chromium` downloaded. Without one: a failure under CI (CI=true, where one is
    installed), else a skip saying how to get one."""
    found = os.environ.get("CHROMIUM") or next(filter(None, map(shutil.which, BROWSERS)), None)
    if found or Path(playwright.chromium.executable_path).is_file():
        return found or playwright.chromium.executable_path
    reason = (
        "no Chromium: install one (Debian/Ubuntu: apt-get install chromium; or "
        "`playwright install chromium`), or name its executable in CHROMIUM"
    )
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app on a real HTTP server on 127.0.0.1 (a thread of this process); its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
    server.server_close()


@pytest.fixture
def browser_page(tmp_path: Path) -> Iterator[BrowserPage]:
    """A page of a headless Chromium, which records its console errors, uncaught exceptions
    and content security policy violations; the screenshot is taken after the test."""
    from playwright.sync_api import expect  # only the browser tests need Playwright
    from playwright.sync_api import sync_playwright

    expect.set_options(timeout=BROWSER_TIMEOUT)
    with sync_playwright() as playwright:
        executable = find_chromium(playwright)
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(BROWSER_TIMEOUT)
        problems: list[str] = []

        def record_error(note: "ConsoleMessage") -> None:
            if note.type == "error":
                problems.append(note.text)

        page.on("console", record_error)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.add_init_script(RECORD_CSP_VIOLATIONS)
        yield page, problems
        screenshot = Path(os.environ.get("DOCS_SCREENSHOT") or tmp_path / "docs.png")
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=screenshot, full_page=True)
        browser.close()


def try_it_out(page: "Page", tag: str, operation_id: str) -> tuple["Locator", "Locator"]:
    """Open an operation, press "Try it out" and "Execute"; its live response's status cell
    and body (the first of its blocks, before the headers)."""
    operation = page.locator(f"#operations-{tag}-{operation_id}")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    live = operation.locator(".live-responses-table .response")
    return live.locator(".response-col_status"), live.locator(".response-col_description pre").first


@pytest.mark.slow  # a real server and a browser: CI runs it
@pytest.mark.browser
def test_docs_render_every_operation_and_try_it_out_gets_real_answers(
    live_server: str, browser_page: BrowserPage, client: FlaskClient, make_user: MakeUser
) -> None:
    from playwright.sync_api import expect

    user = make_user(name="Ada Lovelace", email="ada@example.com")
    document = client.get("/openapi.json").get_json()
    page, problems = browser_page
    page.goto(f"{live_server}/docs")
    expect(page.locator(".info .title")).to_contain_text(document["info"]["title"])
    expected = {
        (method.upper(), path, operation["operationId"])
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method != "parameters"
    }
    expect(page.locator(".opblock")).to_have_count(len(expected))
    shown = {
        (
            block.locator(".opblock-summary-method").inner_text(),
            block.locator(".opblock-summary-path").get_attribute("data-path"),
            block.locator(".opblock-summary-operation-id").inner_text(),
        )
        for block in page.locator(".opblock").all()
    }
    assert shown == expected

    status, body = try_it_out(page, "health", "getHealth")
    expect(status).to_have_text("200")
    expect(body).to_contain_text('"status": "ok"')
    status, body = try_it_out(page, "users", "listUsers")
    expect(status).to_have_text("200")
    expect(body).to_contain_text(user["email"])

    assert problems == []
    assert page.evaluate("window.cspViolations") == []
