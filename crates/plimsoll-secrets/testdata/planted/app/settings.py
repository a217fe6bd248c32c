"""Planted test-only settings (fake credentials)."""
import os

DEBUG = False
# Source code, not configuration: the generic password rule stays quiet here.
PASSWORD = "Hq8rTz2mWx5n"
DB_PASSWORD = os.environ.get("DB_PASSWORD")
STRIPE_SECRET_KEY = "sk_live_FAKEfake0123456789FAKEfake"
GOOGLE_MAPS_KEY = "AIzaFAKEfake0123456789FAKEfake012345678"
