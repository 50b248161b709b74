"""The action plan: recommendations followed, chased and signed off until every one is done."""
