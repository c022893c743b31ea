"""SkyPilot's client package (``sky.client.sdk``)."""
