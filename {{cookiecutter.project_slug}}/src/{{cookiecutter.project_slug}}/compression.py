"""Response compression: Brotli, Zstandard or gzip, as the client's Accept-Encoding asks.

Flask-Compress honours q-values and `identity`, adds `Vary: Accept-Encoding`, and leaves
bodies under COMPRESS_MIN_SIZE bytes alone (compressing them costs more than it saves).
{%- if cookiecutter.use_caching %}
Cached responses are stored already compressed (caching.py), so a cache hit skips this work.
{%- endif %}
"""

from flask import Flask
from flask_compress import Compress

compress = Compress()


def init_app(app: Flask) -> None:
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "zstd", "gzip"])
    app.config.setdefault("COMPRESS_MIMETYPES", ["application/json"])
    app.config.setdefault("COMPRESS_BR_LEVEL", 4)
    app.config.setdefault("COMPRESS_ZSTD_LEVEL", 3)
    app.config.setdefault("COMPRESS_LEVEL", 6)  # gzip
    compress.init_app(app)
