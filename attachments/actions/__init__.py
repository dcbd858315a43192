"""The only writers of attachments: uploads, attaching to an owner, and cleanup."""
