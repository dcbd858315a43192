"""The only write path for the forum domain.

Each function takes the acting member first, checks what that member may do,
writes in one transaction and publishes its events after commit.
"""
