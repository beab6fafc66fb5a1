"""CityLoop grid-worker app (Flet web, tablet-sized)."""
