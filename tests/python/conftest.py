"""Shared by every Python test: the wheel can download catalogs (the
`fetch` feature), but tests never reach the network."""
import os

os.environ['STIX_CATALOG_OFFLINE'] = '1'
