"""One module per `tierguard` subcommand; each exposes NAME, HELP, configure(parser) and run(args)."""
