"""One module per flow-log format. Each exposes `read(source, options) -> Iterator[Item]`."""
