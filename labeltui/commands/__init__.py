"""One module per subcommand; each exposes ``run(args) -> int``.

cli.py builds the parser and imports the chosen module lazily, so a headless
command never pays for (or imports) the UI.
"""
