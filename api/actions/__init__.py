"""The API app's writes: tokens and idempotency keys."""
