"""The only writers of the country risk database: each validates, writes in one
transaction, and leaves fan-out (followers' notifications) to after the commit."""
