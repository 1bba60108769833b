"""Real Kafka and document store for development and tests (Docker or native processes).

Entry points: `ocop_devstack.infra.InfraStack` (context manager yielding an `Infra`),
`ocop_devstack.infra.ensure_topics`, `ocop_devstack.provision.provision_all`, and the
`ocop-dev` command line (`ocop_devstack.cli`).
"""
