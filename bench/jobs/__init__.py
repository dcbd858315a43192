"""Programs that run inside Django against a benchmark's own database: seeds and probes.

The benchmarks never import these modules (they need Django set up with the run's
settings); they run them as `python -m bench.jobs NAME [ARG ...]`, see __main__.py.
"""
