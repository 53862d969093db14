"""Performance benchmarks of the bridges and the search loop."""
