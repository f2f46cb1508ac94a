"""Portal and registry simulator: synthetic claims for a programme, published on the external topics."""
