"""The web front door's parts: one module per tab, the public API, and the HTML they render
(Jinja2 templates with autoescaping). Only this package and `app.py` import gradio."""
