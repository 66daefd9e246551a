"""Understanding a message: intent classifier, language identification, model."""
