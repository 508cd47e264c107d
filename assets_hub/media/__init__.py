"""Media: storage backends, upload sniffing and ingest, renditions."""
