"""Composition root: the CLI and the web app that wire kho's packages together."""
