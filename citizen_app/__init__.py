"""CityLoop resident app (Flet web, phone-sized)."""
