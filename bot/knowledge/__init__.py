"""What the assistant knows: partners, bodies, places, sourced facts."""
