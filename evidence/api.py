"""What other packages may ask of evidence; the evidence work fills it in."""
