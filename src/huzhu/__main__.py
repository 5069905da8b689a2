"""`python -m huzhu …` is the `huzhu` command."""

from huzhu.cli.app import main

if __name__ == "__main__":
    main()
