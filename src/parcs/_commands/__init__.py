"""Subcommands of the ``parcs`` command line (see :mod:`parcs.cli`)."""
