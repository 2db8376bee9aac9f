"""Load test of the running service with locust: reads only, against a seeded database.

    uv run flask --app {{ cookiecutter.project_slug }} seed --users 2000 --addresses-per-user 3
    uv run --group load locust -f bench/locustfile.py --host http://127.0.0.1:8000 --headless -u 16 -r 16 -t 30s

Without --headless, locust serves its web UI on http://127.0.0.1:8089. Each simulated client
{% if cookiecutter.use_pagination -%}
walks the first pages of the users list and reads single users.
{%- else -%}
lists the users and reads single users.
{%- endif %}
"""

import random
{%- if cookiecutter.use_compression %}
from typing import ClassVar
{%- endif %}

from locust import FastHttpUser
from locust import task
{%- if cookiecutter.use_pagination %}

PAGES_PER_WALK = 3
{%- endif %}


class ApiClient(FastHttpUser):
{%- if cookiecutter.use_compression %}
    default_headers: ClassVar[dict[str, str]] = {"Accept-Encoding": "gzip, deflate, br, zstd"}
{% endif %}
    def on_start(self) -> None:
        self.user_ids: list[int] = []

    @task(3)
    def list_users(self) -> None:
{%- if cookiecutter.use_pagination and cookiecutter.pagination_style == "cursor" %}
        url = "/api/users?per_page=50"
        for _ in range(PAGES_PER_WALK):
            page = self.client.get(url, name="/api/users").json()
            self.user_ids = [user["id"] for user in page["items"]] or self.user_ids
            if not page["next_cursor"]:
                break
            url = f"/api/users?per_page=50&cursor={page['next_cursor']}"
{%- elif cookiecutter.use_pagination %}
        for number in range(1, PAGES_PER_WALK + 1):
            url = f"/api/users?per_page=50&page={number}"
            page = self.client.get(url, name="/api/users").json()
            self.user_ids = [user["id"] for user in page["items"]] or self.user_ids
            if number >= page["pages"]:
                break
{%- else %}
        page = self.client.get("/api/users").json()
        self.user_ids = [user["id"] for user in page["items"]]
{%- endif %}

    @task(1)
    def read_user(self) -> None:
        if self.user_ids:
            user_id = random.choice(self.user_ids)
            self.client.get(f"/api/users/{user_id}", name="/api/users/[id]")
