"""Encode a list page of users with orjson and with the standard library.

    python bench/json_encode.py [--users 50] [--repeat 2000]

Prints the median encode time of each and the speed-up.
"""

import argparse
import datetime
import json
import statistics
import time

from flask import Flask

from {{ cookiecutter.project_slug }}.fast_json import FastJSONProvider


def page(users: int) -> dict:
    created_at = datetime.datetime.now(datetime.UTC).isoformat(timespec="microseconds")
    return {
        "items": [
            {
                "id": n,
                "name": f"User {n}",
                "email": f"user{n}@example.com",
                "created_at": created_at,
                "addresses": [
                    {"id": n * 3 + k, "street": f"{k} Main Street", "city": "Springfield"}
                    for k in range(3)
                ],
            }
            for n in range(users)
        ]
    }


def median_us(encode, payload, repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        encode(payload)
        timings.append((time.perf_counter() - start) * 1e6)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=2000)
    args = parser.parse_args()
    payload = page(args.users)
    provider = FastJSONProvider(Flask(__name__))
    stdlib_us = median_us(
        lambda obj: json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode(),
        payload,
        args.repeat,
    )
    fast_us = median_us(provider.dumps_bytes, payload, args.repeat)
    print(f"list page of {args.users} users, median of {args.repeat} encodes")
    print(f"json (stdlib): {stdlib_us:8.1f} us")
    print(f"orjson: {fast_us:8.1f} us")
    print(f"speed-up: {stdlib_us / fast_us:.1f}x")


if __name__ == "__main__":
    main()
