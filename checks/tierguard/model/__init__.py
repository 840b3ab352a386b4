"""Stage 2: typed, located models of every resource kind the harness understands."""
