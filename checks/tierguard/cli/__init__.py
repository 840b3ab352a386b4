"""Thin command-line layer: argparse in, typed parameters to the core, exit code out."""
