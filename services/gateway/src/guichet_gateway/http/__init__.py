"""The /v1 API portals call (FastAPI): claims, bank details, status history, reason codes; problem+json errors."""
