"""Editor operations (save, delete, publish, bump) as pure plans; sources commit them."""
