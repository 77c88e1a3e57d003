"""Jinja2 templates and CSS of the dossier, shipped as package data (``dtia_templates``)."""
