"""The service layer: one function per use case, each inside one unit of work."""
