"""Stage 3: the pure policy evaluation engine (no file I/O, no printing, no argparse)."""
