"""Composition root: the CLI and the web app that wire kho's packages together.

Importing kho registers the payload profiles: ``collector.profiles`` hands each profile's ``ProfileInfo`` to
``inventory.profiles``, which knows none of its own (the inventory may not import the collector). Every entry point
— the CLI, the web app, the demo, the benchmarks — imports a ``kho`` module first, so the registry is filled before
anything asks for a profile.
"""

import collector.profiles  # noqa: F401 - registers the payload profiles (about 20 ms)
