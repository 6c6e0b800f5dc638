"""The version of nasperf, in a module of its own: anything may read it without importing
the package's other parts."""

__version__ = "0.1.0"
