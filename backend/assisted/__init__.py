"""Assisted residents: elders without a phone, and community workers acting for them."""
