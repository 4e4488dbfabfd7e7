"""The Hawk API: the HTTP front users talk to. It validates configs, checks the caller's identity and model
groups, stores secrets by reference and launches runs on the (internal) Dagster webserver through GraphQL."""
