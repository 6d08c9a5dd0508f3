from archc.cli import entry

entry()
