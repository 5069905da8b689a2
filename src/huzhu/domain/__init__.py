"""The pure domain core: plain Python types and rules, no database and no web framework."""
