"""The processes: clients opened once (services), HTTP routes, serve/socket/worker."""
