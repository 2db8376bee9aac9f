"""The template's benchmarks, run as modules from the template's folder (`python -m bench.run`,
`python -m bench.soak`): they share the tests' harness, `tests.harness`."""
