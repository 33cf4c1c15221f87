"""`python -m feeds`: the same as the `feeds` command."""
from .entry import main

main()
