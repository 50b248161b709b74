"""The publication gate: restricted names, the name check, proceedings, the family, publishing."""
