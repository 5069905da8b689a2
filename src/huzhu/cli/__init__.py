"""The `huzhu` command line (Typer and Rich)."""
