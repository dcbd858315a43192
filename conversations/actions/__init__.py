"""The only writers of direct messages: each validates, writes in one transaction, and
logs its events for the inbox sockets, published after commit."""
