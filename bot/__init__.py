"""The service around Rasa: language handling, replies, web pages and storage."""
