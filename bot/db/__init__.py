"""Storage: our tables and migrations, the tracker store, erasure and retention."""
