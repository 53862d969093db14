"""Best-first proof search, proof trees, and Ray orchestration."""
