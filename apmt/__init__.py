"""The ``apmt`` command line, on top of every other package."""
