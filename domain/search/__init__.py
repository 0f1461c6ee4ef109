"""Search: query understanding, Elasticsearch query building and the search service."""
