"""The template's own tests: a package, so that the benchmarks import its harness too
(`tests.harness`, with `python -m bench.run` from the template's folder)."""
