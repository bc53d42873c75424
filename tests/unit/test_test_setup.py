"""The suite's own arrangement, which would otherwise fail silently and only cost time."""

from __future__ import annotations

import pytest


@pytest.mark.storm
def test_storms_share_one_xdist_group(request: pytest.FixtureRequest) -> None:
    """Storms run one at a time (a lock in conftest); spread over the workers by a scheduler
    that ignores their group, one worker idles at that lock while the other storms. pytest 9.2
    with pytest-xdist 3.8 did exactly that, without a word (pyproject pins pytest below 9.2)."""
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("run by pytest-xdist with --dist loadgroup only (the README's command)")
    assert request.node.nodeid.endswith("@storms")
