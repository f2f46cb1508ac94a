"""Recovery orders after a non-compliant or unanswered control, and the bank credits that repay them."""
