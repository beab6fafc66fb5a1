"""Care watch back end: meter ingestion, the household simulator used by the benchmarks, scan I/O."""
