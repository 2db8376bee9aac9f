"""The benchmark's fallback load generator, when wrk is not installed: one GET, repeated.

BENCH_PATH=/api/users BENCH_ACCEPT_ENCODING=gzip [BENCH_IF_NONE_MATCH='"..."'] locust -f bench/locustfile.py --headless ...
"""

import os

from locust import FastHttpUser, task


class Client(FastHttpUser):
    path = os.environ.get("BENCH_PATH", "/")
    headers = {"Accept-Encoding": os.environ.get("BENCH_ACCEPT_ENCODING", "identity")}
    if etag := os.environ.get("BENCH_IF_NONE_MATCH"):  # a revalidation: answered 304
        headers["If-None-Match"] = etag

    @task
    def get(self) -> None:
        self.client.get(self.path, headers=self.headers)
