"""The assistant: settings, query understanding, grounded answers, and the CLI."""
