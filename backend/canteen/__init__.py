"""The elders' canteen (长者食堂): canteens, meals, meal orders, deliveries."""
