"""The API's operations, one module per area; every read asks forum/visibility.py."""
