"""stepgrad's network layer (filled in by the nn issue)."""
