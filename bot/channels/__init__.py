"""Rasa's input channels (REST, the widget's socket.io), each message checked."""
