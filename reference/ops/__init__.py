"""Readable torch references, one module per op: the specification every track is graded against."""
