"""Turning documents into a searchable hybrid index: load → clean → split → embed → store."""
