"""Names the benchmark registry lists without importing any loader."""

from __future__ import annotations

__all__ = ["GRAPH_DATASETS"]

#: the NAS-Bench-Graph datasets
GRAPH_DATASETS = (
    "cora",
    "citeseer",
    "pubmed",
    "cs",
    "physics",
    "photo",
    "computers",
    "arxiv",
    "proteins",
)
