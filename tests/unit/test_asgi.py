"""The server entry tunes the garbage collector for a long-lived process."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from backend.asgi import YOUNG_GENERATION_THRESHOLD, tune_garbage_collector


@pytest.fixture
def restored_collector() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("restored_collector")
def test_start_up_objects_are_frozen_and_young_ones_collected_less_often() -> None:
    _, middle, old = gc.get_threshold()
    tune_garbage_collector()
    assert gc.get_threshold() == (YOUNG_GENERATION_THRESHOLD, middle, old)
    assert gc.get_freeze_count() > 0
