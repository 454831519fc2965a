"""The HTTP server: the SPARQL endpoint, resolvable IRIs and the pages a reader reads."""
