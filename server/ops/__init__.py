"""Operations: configuration checks, backup and restore, the production WSGI entry."""
