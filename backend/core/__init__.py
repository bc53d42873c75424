"""Cross-cutting parts every domain stands on."""
