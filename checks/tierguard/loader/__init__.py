"""Stage 1 of the pipeline: files and streams to located YAML nodes."""
