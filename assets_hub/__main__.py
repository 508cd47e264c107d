"""`python -m assets_hub` runs the command-line interface."""

from assets_hub.cli import main

main()
