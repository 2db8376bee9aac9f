"""The ceiling: a bare Flask app that answers "hello", served with the same gunicorn settings as
the generated projects. Nothing a project does per request can be faster than this."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "hello"
