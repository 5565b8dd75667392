"""What other packages may ask of controls (nothing below controls may call it)."""
