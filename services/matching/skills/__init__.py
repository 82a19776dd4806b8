"""Skills that mean something: the ESCO taxonomy (built into a compact index), recognising concepts in a
credential's title or a job description, and the requirements suggested from a description."""
