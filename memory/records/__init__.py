"""Typed user data and its consent, insights, and the importers that read other apps' exports."""
