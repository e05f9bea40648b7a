"""`python -m streamkit` is the `streamkit` command."""
from streamkit.cli import main

main()
