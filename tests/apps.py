"""The tests' apps: each shape built once per worker process, bound to each test's resources.

Building an app is ~0.15 s of CPU (Litestar parses the signature of every route handler), and
the suite built one or more for each of its ~1,600 tests: about half of its CPU. An app's shape
depends on its settings alone, so a worker process keeps the apps it has built, one list per
shape (the settings but for ``data_dir``, which only the CLI reads), and lends them out: each
test's ``app`` (and every ``app_with``) is such an app bound (``backend.resources.bind``) to
resources of the test's own: its database, settings object and clock, and fresh engine, pools,
revocation list, stores and rate limiter. What a test sees is what a new app would show it.

An app comes back at the end of the test unless the test changed it (registered a route of its
own, wrapped its ASGI handler); then it is dropped. Two apps lent in one test are never the same
object (``app_with`` stands for another process beside ``app``).
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from litestar import Litestar

from backend.app import build_app
from backend.config import Settings
from backend.core.clock import Clock
from backend.resources import Resources, bind


@dataclass
class _Kept:
    app: Litestar
    shape: tuple[Settings, tuple[Any, ...]]
    routes: int
    handler: Any
    # The logging configuration the app set up (Litestar configures the process's logging when
    # it builds an app): the root logger's handlers then, and the stderr they write to.
    logging: tuple[list[logging.Handler], Any]


@dataclass
class AppPool:
    """One per worker process (a session fixture of conftest)."""

    idle: dict[tuple[Settings, tuple[Any, ...]], list[_Kept]] = field(default_factory=dict)
    lent: list[_Kept] = field(default_factory=list)
    built: int = 0

    def lend(
        self, settings: Settings, database_url: str, clock: Clock, routes: tuple[Any, ...] = ()
    ) -> Litestar:
        """An app of ``settings`` with the test's own ``routes`` registered (part of its
        shape: a test that registers them itself changes the app, which is then built anew
        for each of its tests)."""
        shape = (replace(settings, data_dir=Path()), routes)
        idle = self.idle.get(shape)
        if idle:
            kept = idle.pop()
            _configure_logging_again(kept)
        else:
            kept = self._build(settings, shape)
        bind(kept.app, Resources.build(settings, database_url, clock))
        self.lent.append(kept)
        return kept.app

    def give_back(self) -> None:
        """At the end of a test: its apps go back, except those it changed."""
        for kept in self.lent:
            app = kept.app
            if len(app.routes) == kept.routes and app.asgi_handler is kept.handler:
                self.idle.setdefault(kept.shape, []).append(kept)
        self.lent.clear()

    def _build(self, settings: Settings, shape: tuple[Settings, tuple[Any, ...]]) -> _Kept:
        app = build_app(settings)
        for route in shape[1]:
            app.register(route)
        self.built += 1
        return _Kept(app, shape, len(app.routes), app.asgi_handler, _logging_now())


def _logging_now() -> tuple[list[logging.Handler], Any]:
    # pytest's own capturing handlers come and go with each phase of each test.
    ours = [h for h in logging.getLogger().handlers if not type(h).__module__.startswith("_pytest")]
    return ours, sys.stderr


def _configure_logging_again(kept: _Kept) -> None:
    """Logging as building the app would have left it, if anything changed it since (another
    app built with other settings, or a test's captured stderr that has been closed)."""
    if _logging_now() == kept.logging:
        return
    config = kept.app.logging_config
    if config is not None:
        config.configure()
        standard = getattr(config, "standard_lib_logging_config", None)
        if standard is not None:
            standard.configure()
    kept.logging = _logging_now()
