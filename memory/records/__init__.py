"""Typed user data (health, finance, education, ...), the consent that gates it, insights,
and the importers that read other apps' exports."""
