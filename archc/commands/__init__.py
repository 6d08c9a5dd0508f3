"""One module per ``archc`` subcommand (see :data:`archc.cli.COMMANDS`)."""
