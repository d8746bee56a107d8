"""Prompt templates, the glossary and the injection patterns: data files shipped with the package
(read through `assistant.prompts`)."""
