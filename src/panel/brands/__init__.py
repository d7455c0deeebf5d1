"""Resellers' brands: the name, colours and host names a white-label panel shows."""
