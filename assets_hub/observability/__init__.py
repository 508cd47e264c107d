"""Operating the service: Prometheus metrics, one structured log line per request, request ids.

``metrics`` holds the instruments (importable from anywhere: it depends on prometheus_client
only); ``scrape`` serves ``/metrics``; ``request_log`` configures logging; ``middleware``
measures and logs every HTTP request by its route template, never its raw path.
"""
