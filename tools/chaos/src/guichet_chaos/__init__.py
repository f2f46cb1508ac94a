"""The failure suite: real services as processes on the real broker and database, faults injected while claims
flow, and a checker that compares the end state with what was published."""
