"""Files: network files, weight export and atomic writes (Qt-free)."""
