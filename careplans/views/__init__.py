"""Care-plan pages: the staff workspace (`workspace`) and the patients' signed-link pages (`public`)."""
