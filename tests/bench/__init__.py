"""The load benchmark: Qiyou against a bare asyncpg ceiling (``python -m tests.bench.run``).

Not part of the pytest suite (``norecursedirs`` in pyproject.toml, and no ``test_*`` names).
"""
