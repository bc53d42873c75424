"""The wire contract: msgspec Structs per domain (camelCase on the wire)."""
