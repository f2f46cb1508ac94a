"""`guichet`: the operators' console. Every command reads the services' own data and Kafka; `--json` on each."""
