"""The public pages of published reviews, open without sign-in."""
