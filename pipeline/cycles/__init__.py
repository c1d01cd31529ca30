"""Review cycles that live together: open, status, close, compare and reproduce a cycle."""
