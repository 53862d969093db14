"""Datasets, evaluation runs, reports and performance benchmarks."""
