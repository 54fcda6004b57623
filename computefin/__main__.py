"""``python -m computefin``: the same as the ``computefin`` command."""

from computefin.engine.cli import main

if __name__ == "__main__":
    main()
