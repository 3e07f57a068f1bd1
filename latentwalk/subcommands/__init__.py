"""One module per `latentwalk` subcommand: each has add_parser(subparsers) and run(args) -> int."""
