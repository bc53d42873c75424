"""Childcare (一小 · 优教): programs, their sessions and teachers, applications, the lottery's
draw and offers. Pickups, rosters and attendance build on these tables."""
