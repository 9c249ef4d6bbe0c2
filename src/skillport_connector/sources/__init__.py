"""Where a marketplace comes from. ``tree`` is the read-only view the catalog uses;
``factory.open_source`` picks a plain folder (read-only) or a git repository."""
