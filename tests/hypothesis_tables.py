"""Preloaded by the matrix's forkserver (see project_runner): Hypothesis' Unicode tables.

Schemathesis draws UTF-8 strings, and Hypothesis builds their tables on first use by walking
every code point (about 3 s), or reads them back from its storage folder. Built once here, in
memory, every forked project run inherits them."""

from hypothesis.internal import charmap

charmap.charmap()
charmap.intervals_from_codec("utf-8")
