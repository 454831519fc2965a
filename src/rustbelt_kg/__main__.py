"""``python -m rustbelt_kg``: the same as the ``rustbelt-kg`` command."""

from rustbelt_kg.cli import main

main()
