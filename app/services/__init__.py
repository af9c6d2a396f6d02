"""Use cases shared by the GUI and the command line: validate, then write in one transaction."""
