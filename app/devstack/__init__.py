"""A local Elasticsearch + Redis for development and tests, without Docker.

Elasticsearch comes from Elastic's own integ-test-zip artifact on Maven Central, runs on the
machine's JDK as an unprivileged user (Elasticsearch refuses root), bound to loopback.
"""
