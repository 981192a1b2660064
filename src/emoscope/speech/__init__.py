"""Speech: audio input and the speech emotion models."""
