"""Static file storage for production: hashed, compressed names served by WhiteNoise."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's manifest storage, tolerant of third-party CSS that names missing files.

    viewflow ships a font stylesheet referring to font files it does not include; a strict
    manifest would stop ``collectstatic`` on it, though no page of this service uses them.
    """

    manifest_strict = False

    def hashed_name(self, name, content=None, filename=None):
        try:
            return super().hashed_name(name, content, filename)
        except ValueError:
            return name
