"""Request and response models of SkyPilot's API."""
