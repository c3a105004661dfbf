"""The HTTP face: the seed systems' APIs served over the same core (Falcon on waitress)."""
