"""Who may run and read what: model groups, the permission rule, launch grants."""
