"""Finance simulator: plays the bank and the finance department, answering each payment instruction once."""
