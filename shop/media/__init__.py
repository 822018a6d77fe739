"""Uploaded media (product pictures): one storage interface, picture processing, and serving."""
