"""Data files vendored into the package (read with importlib.resources); see README.md here."""
