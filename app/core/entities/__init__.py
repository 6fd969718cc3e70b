"""People, organisations and claims as records across articles."""
