"""The production shape over real HTTP (`make test-production`): a standalone script and
its helpers, run by .ci/run against PostgreSQL and Redis. pytest does not collect it:
no file here is named test_*.py."""
