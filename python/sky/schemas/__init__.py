"""SkyPilot's API schemas (``sky.schemas.api.responses``)."""
