"""The back-office's web pages (Starlette): sign-in, queues, claims, dead letters, payments."""
