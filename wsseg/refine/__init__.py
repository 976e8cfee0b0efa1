"""Pixel refinement shared by the labellers and the patch path: the mean-field CRF."""
