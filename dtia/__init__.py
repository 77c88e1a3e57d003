"""dtia: cross-border personal data transfer impact assessments under Vietnam's Law 91/2025/QH15
and Decree 356/2025/ND-CP."""

__version__ = "0.1.0"
