"""Home Office quality assurance: the submission pack, the outcome, the areas for development."""
