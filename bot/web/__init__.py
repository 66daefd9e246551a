"""The web app beside Rasa: the widget, its static files and templates, the NLG."""
