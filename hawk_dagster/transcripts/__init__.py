"""Sample transcripts and scan exports: warehouse lookups, reading a sample from its log, markdown, CSV."""
