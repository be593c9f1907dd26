"""The analysis side: extraction, dates, places, MinHash, morphology, evaluation."""
