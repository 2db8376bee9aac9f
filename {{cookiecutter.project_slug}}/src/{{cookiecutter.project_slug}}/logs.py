"""Logging: one handler for the package's loggers, writing to stdout or LOG_FILE."""

import logging
import sys

from flask import Flask

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class StdoutHandler(logging.StreamHandler):
    """Writes to the current sys.stdout, resolved at write time (safe under test capture)."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, _value) -> None:
        pass


def init_app(app: Flask) -> None:
    path = app.config["LOG_FILE"]
    handler = logging.FileHandler(path, encoding="utf-8") if path else StdoutHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    logger = logging.getLogger(app.import_name)
    for old in logger.handlers[:]:
        logger.removeHandler(old)
        old.close()
    logger.addHandler(handler)
    logger.setLevel(app.config["LOG_LEVEL"])
