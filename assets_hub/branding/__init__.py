"""Branding: profiles, overlay templates, text fitting, QR codes and the overlay compositor."""
